<?php
/**
 * First step of the bring-up, from PHP CLI: install WordPress (its admin from the environment),
 * pretty permalinks, and WooCommerce in the active plugins (loaded by the next step).
 * Usage: php install-wordpress.php <docroot>
 */
define( 'WP_INSTALLING', true );
$_SERVER['HTTP_HOST']   = getenv( 'REALSHOP_HOST' );
$_SERVER['REQUEST_URI'] = '/';
require $argv[1] . '/wp-load.php';
require_once ABSPATH . 'wp-admin/includes/upgrade.php';

$result = wp_install( 'Real Shop', getenv( 'REALSHOP_ADMIN_USER' ), getenv( 'REALSHOP_ADMIN_EMAIL' ), false, '', wp_slash( getenv( 'REALSHOP_ADMIN_PASSWORD' ) ) );
update_option( 'permalink_structure', '/%postname%/' );
update_option( 'timezone_string', 'Europe/Berlin' );
update_option( 'active_plugins', array( 'woocommerce/woocommerce.php' ) );
echo wp_json_encode( array( 'user_id' => $result['user_id'] ) );
