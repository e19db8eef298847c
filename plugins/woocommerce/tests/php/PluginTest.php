<?php
/**
 * The main file wires every part once WooCommerce is loaded.
 */
final class PluginTest extends Connect_Hub_Test_Case {

	public function test_init_hooks_every_part() {
		connect_hub_companion_init();
		foreach ( array( 'connect_hub_send', 'rest_api_init', 'add_meta_boxes', 'woocommerce_process_shop_order_meta', 'woocommerce_email_order_meta', 'woocommerce_order_details_after_order_table', 'woocommerce_cart_updated', 'woocommerce_checkout_order_processed', 'woocommerce_admin_field_connect_hub_pairing' ) as $hook ) {
			$this->assertArrayHasKey( $hook, Stubs::$actions, $hook );
		}
		foreach ( array( 'woocommerce_rest_is_request_to_rest_api', 'woocommerce_get_sections_advanced', 'woocommerce_get_settings_advanced' ) as $hook ) {
			$this->assertArrayHasKey( $hook, Stubs::$filters, $hook );
		}
	}

	// Issue 10, defect 2: deprecated since WooCommerce 7.2, a notice in debug.log at every order.
	public function test_the_deprecated_blocks_checkout_hook_is_not_used() {
		connect_hub_companion_init();
		$this->assertArrayNotHasKey( 'woocommerce_blocks_checkout_order_processed', Stubs::$actions );
		$this->assertArrayHasKey( 'woocommerce_store_api_checkout_order_processed', Stubs::$actions );
		$sources = '';
		foreach ( glob( dirname( CONNECT_HUB_COMPANION_FILE ) . '/includes/*.php' ) as $file ) {
			$sources .= file_get_contents( $file );
		}
		$this->assertStringNotContainsString( 'woocommerce_blocks_checkout_order_processed', $sources );
	}

	public function test_header_declares_the_requirements() {
		$header = file_get_contents( CONNECT_HUB_COMPANION_FILE );
		$this->assertStringContainsString( 'Plugin Name:          Connect Hub Companion', $header );
		$this->assertStringContainsString( 'Requires PHP:         7.4', $header );
		$this->assertStringContainsString( 'WC requires at least: 3.5', $header );
		$this->assertMatchesRegularExpression( '/Version:\s+' . preg_quote( CONNECT_HUB_COMPANION_VERSION, '/' ) . '\n/', $header );
		$readme = file_get_contents( dirname( CONNECT_HUB_COMPANION_FILE ) . '/readme.txt' );
		$this->assertStringContainsString( 'Stable tag: ' . CONNECT_HUB_COMPANION_VERSION, $readme );
	}
}
