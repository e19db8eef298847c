<?php
/**
 * Second step of the bring-up, from PHP CLI with WooCommerce active: its tables and pages
 * (WC_Install::install), what its first wp-admin visit does (newly_installed: HPOS on), a shop
 * a merchant has set up (store address, EUR, cash on delivery, free shipping everywhere, guest
 * checkout, no "coming soon" page) and a read/write REST API key as WC_Auth::create_keys writes it.
 * Usage: php install-woocommerce.php <docroot>
 */
$_SERVER['HTTP_HOST']   = getenv( 'REALSHOP_HOST' );
$_SERVER['REQUEST_URI'] = '/';
require $argv[1] . '/wp-load.php';

WC_Install::install();
WC_Install::newly_installed();

update_option( 'woocommerce_coming_soon', 'no' );
update_option( 'woocommerce_store_pages_only', 'no' );
update_option( 'woocommerce_onboarding_profile', array( 'skipped' => true ) );
update_option( 'woocommerce_task_list_hidden', 'yes' );
update_option( 'woocommerce_store_address', 'Hauptstrasse 1' );
update_option( 'woocommerce_store_city', 'Berlin' );
update_option( 'woocommerce_store_postcode', '10115' );
update_option( 'woocommerce_default_country', 'DE' );
update_option( 'woocommerce_currency', 'EUR' );
update_option( 'woocommerce_enable_guest_checkout', 'yes' );
update_option( 'woocommerce_calc_taxes', 'no' );
update_option( 'woocommerce_cod_settings', array( 'enabled' => 'yes', 'title' => 'Cash on delivery' ) );
update_option( 'woocommerce_bacs_settings', array( 'enabled' => 'yes', 'title' => 'Bank transfer' ) );
update_option( 'woocommerce_allow_tracking', 'no' );
update_option( 'woocommerce_show_marketplace_suggestions', 'no' );
update_option( 'woocommerce_analytics_enabled', 'no' );

$zone = new WC_Shipping_Zone( 0 );
$zone->add_shipping_method( 'free_shipping' );

global $wpdb;
$key    = getenv( 'REALSHOP_CONSUMER_KEY' );
$secret = getenv( 'REALSHOP_CONSUMER_SECRET' );
$wpdb->insert(
	$wpdb->prefix . 'woocommerce_api_keys',
	array(
		'user_id'         => (int) getenv( 'REALSHOP_ADMIN_ID' ),
		'description'     => 'connect-hub tests',
		'permissions'     => 'read_write',
		'consumer_key'    => wc_api_hash( $key ),
		'consumer_secret' => $secret,
		'truncated_key'   => substr( $key, -7 ),
	)
);

// The shop's first WP-Cron runs: Action Scheduler moves to its own tables (until then a
// hybrid store refuses claims by group) and WooCommerce's first jobs are done.
// (its migration job is scheduled a minute ahead: run it now, as that cron run would).
for ( $round = 0; $round < 10 && ! ActionScheduler_DataController::is_migration_complete(); $round++ ) {
	( new Action_Scheduler\Migration\Scheduler() )->run_migration();
}
ActionScheduler_QueueRunner::instance()->run( 'install' );

echo wp_json_encode(
	array(
		'hpos'        => Automattic\WooCommerce\Utilities\OrderUtil::custom_orders_table_usage_is_enabled(),
		'woocommerce' => WC()->version,
		'wordpress'   => get_bloginfo( 'version' ),
		'queue'       => ActionScheduler_DataController::is_migration_complete(),
	)
);
