<?php
/**
 * Uninstall: removes the plugin's options (settings, pairing code, checkouts kept for recovery,
 * queued deliveries) and its queued actions. Shipments stay on the orders: they are order history.
 *
 * @package Connect_Hub_Companion
 */

defined( 'WP_UNINSTALL_PLUGIN' ) || exit;

global $wpdb;

$connect_hub_options = $wpdb->get_col( // phpcs:ignore WordPress.DB.DirectDatabaseQuery
	$wpdb->prepare( "SELECT option_name FROM {$wpdb->options} WHERE option_name LIKE %s", $wpdb->esc_like( 'connect_hub_' ) . '%' )
);
foreach ( (array) $connect_hub_options as $connect_hub_option ) {
	delete_option( $connect_hub_option );
}

if ( function_exists( 'as_unschedule_all_actions' ) ) {
	as_unschedule_all_actions( 'connect_hub_send' );
	as_unschedule_all_actions( 'connect_hub_cleanup' );
}
