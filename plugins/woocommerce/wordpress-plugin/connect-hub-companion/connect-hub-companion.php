<?php
/**
 * Plugin Name:          Connect Hub Companion
 * Plugin URI:           https://github.com/connect-hub/connect-hub
 * Description:          Sends checkouts (abandoned carts) and shipments to a connect-hub instance, and shows tracking details to customers.
 * Version:              1.0.0
 * Requires at least:    5.0
 * Requires PHP:         7.4
 * Author:               connect-hub
 * License:              MIT
 * Text Domain:          connect-hub-companion
 * WC requires at least: 3.5
 * WC tested up to:      9.9
 *
 * @package Connect_Hub_Companion
 */

defined( 'ABSPATH' ) || exit;

define( 'CONNECT_HUB_COMPANION_VERSION', '1.0.0' );
define( 'CONNECT_HUB_COMPANION_FILE', __FILE__ );

require_once __DIR__ . '/includes/class-connect-hub-settings.php';
require_once __DIR__ . '/includes/class-connect-hub-pairing.php';
require_once __DIR__ . '/includes/class-connect-hub-sender.php';
require_once __DIR__ . '/includes/class-connect-hub-payloads.php';
require_once __DIR__ . '/includes/class-connect-hub-shipments.php';
require_once __DIR__ . '/includes/class-connect-hub-checkouts.php';
require_once __DIR__ . '/includes/class-connect-hub-rest.php';
require_once __DIR__ . '/includes/class-connect-hub-admin.php';
require_once __DIR__ . '/includes/class-connect-hub-customer-view.php';

// HPOS (custom order tables): orders are read and written through WC_Order only.
add_action(
	'before_woocommerce_init',
	function () {
		if ( class_exists( '\Automattic\WooCommerce\Utilities\FeaturesUtil' ) ) {
			\Automattic\WooCommerce\Utilities\FeaturesUtil::declare_compatibility( 'custom_order_tables', CONNECT_HUB_COMPANION_FILE, true );
		}
	}
);

/**
 * Wire every part once WooCommerce is loaded; without WooCommerce the plugin does nothing.
 */
function connect_hub_companion_init() {
	if ( ! class_exists( 'WooCommerce' ) ) {
		return;
	}
	Connect_Hub_Settings::init();
	Connect_Hub_Sender::init();
	Connect_Hub_Checkouts::init();
	Connect_Hub_Rest::init();
	Connect_Hub_Admin::init();
	Connect_Hub_Customer_View::init();
}
add_action( 'plugins_loaded', 'connect_hub_companion_init' );
