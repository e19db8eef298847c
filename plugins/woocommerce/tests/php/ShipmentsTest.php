<?php
/**
 * The order screen's Shipments box and what the customer sees.
 */
final class ShipmentsTest extends Connect_Hub_Test_Case {

	protected function setUp(): void {
		parent::setUp();
		Stubs::pair();
		Stubs::$orders[123] = new Fake_Order( 123 );
		Stubs::$caps        = array( 'edit_shop_orders' );
		Stubs::$logged_in   = true;
	}

	private function post( array $shipment ) {
		$_POST = array(
			'connect_hub_shipment_nonce' => 'nonce-connect_hub_add_shipment',
			'connect_hub_shipment'       => $shipment,
		);
	}

	public function test_the_box_is_on_the_order_screen() {
		Connect_Hub_Admin::add_meta_box();
		$this->assertSame( 'connect-hub-shipments', Stubs::$meta_boxes[0]['id'] );
		$this->assertSame( 'woocommerce_page_wc-orders', Stubs::$meta_boxes[0]['screen'] );
	}

	public function test_saving_a_shipment_stores_it_and_queues_it_to_the_hub() {
		$this->post( array( 'provider' => 'DHL', 'tracking_number' => 'JD0001', 'tracking_url' => 'https://track.example/JD0001' ) );
		$shipment = Connect_Hub_Admin::save( 123 );
		$order    = Stubs::$orders[123];
		$this->assertSame( 'shop', $shipment['source'] );
		$this->assertSame( array( $shipment ), $order->meta['_connect_hub_shipments'] );
		$this->assertSame( 1, $order->saves );

		$this->assertCount( 1, Stubs::$async );
		$this->assertSame( array(), Stubs::$http );
		$delivery = $this->delivery( Stubs::$async[0] );
		$this->assertSame( 'shipment.created', $delivery['topic'] );
		$this->assertSame(
			array(
				'order_id'     => 123,
				'order_number' => '123',
				'shipment'     => array(
					'id'              => $shipment['id'],
					'provider'        => 'DHL',
					'tracking_number' => 'JD0001',
					'tracking_url'    => 'https://track.example/JD0001',
					'created_at_gmt'  => $shipment['created_at_gmt'],
					'source'          => 'shop',
				),
			),
			json_decode( $delivery['body'], true )
		);

		// A second one on the same order.
		$this->post( array( 'provider' => 'DPD', 'tracking_number' => 'DPD2', 'tracking_url' => '' ) );
		Connect_Hub_Admin::save( 123 );
		$this->assertCount( 2, $order->meta['_connect_hub_shipments'] );
	}

	public function test_no_shipment_without_nonce_capability_or_number() {
		$this->post( array( 'provider' => 'DHL', 'tracking_number' => 'JD0001' ) );
		Stubs::$nonces_valid = false;
		$this->assertNull( Connect_Hub_Admin::save( 123 ) );

		Stubs::$nonces_valid = true;
		Stubs::$caps         = array( 'read' );
		$this->post( array( 'provider' => 'DHL', 'tracking_number' => 'JD0001' ) );
		$this->assertNull( Connect_Hub_Admin::save( 123 ) );

		Stubs::$caps = array( 'edit_shop_orders' );
		$this->post( array( 'provider' => 'DHL', 'tracking_number' => '  ' ) );
		$this->assertNull( Connect_Hub_Admin::save( 123 ) );

		$_POST = array();
		$this->assertNull( Connect_Hub_Admin::save( 123 ) );
		$this->assertSame( array(), Stubs::$orders[123]->meta );
		$this->assertSame( array(), Stubs::$async );
	}

	public function test_input_is_sanitised() {
		$this->post( array( 'provider' => '<script>x</script>DHL', 'tracking_number' => 'JD0001', 'tracking_url' => 'javascript:alert(1)', 'external_id' => 'forged' ) );
		$shipment = Connect_Hub_Admin::save( 123 );
		$this->assertSame( 'xDHL', $shipment['provider'] );
		$this->assertSame( '', $shipment['tracking_url'] );
		$this->assertSame( '', $shipment['external_id'] );
	}

	public function test_the_box_lists_shipments_escaped() {
		$order = Stubs::$orders[123];
		$order->update_meta_data(
			'_connect_hub_shipments',
			array(
				array( 'id' => 'a', 'provider' => 'D"HL<', 'tracking_number' => 'JD<1>', 'tracking_url' => 'https://t.example/?a=1&b=2', 'created_at_gmt' => '2026-11-27T22:13:54Z', 'source' => 'hub', 'external_id' => 'x' ),
			)
		);
		ob_start();
		Connect_Hub_Admin::render( new WP_Post( 123 ) );
		$html = ob_get_clean();
		$this->assertStringContainsString( 'D&quot;HL&lt;', $html );
		$this->assertStringContainsString( 'JD&lt;1&gt;', $html );
		$this->assertStringContainsString( 'href="https://t.example/?a=1&amp;b=2"', $html );
		$this->assertStringContainsString( 'name="connect_hub_shipment_nonce"', $html );
		$this->assertStringContainsString( 'name="connect_hub_shipment[tracking_number]"', $html );
	}

	public function test_the_customer_sees_the_tracking() {
		$order = Stubs::$orders[123];
		$this->assertSame( '', Connect_Hub_Customer_View::html( $order ) );
		$order->update_meta_data(
			'_connect_hub_shipments',
			array(
				array( 'id' => 'a', 'provider' => 'DHL', 'tracking_number' => '<b>JD0001</b>', 'tracking_url' => 'https://track.example/JD0001', 'created_at_gmt' => '', 'source' => 'shop', 'external_id' => '' ),
				array( 'id' => 'b', 'provider' => '', 'tracking_number' => 'NOLINK', 'tracking_url' => '', 'created_at_gmt' => '', 'source' => 'hub', 'external_id' => 'e' ),
			)
		);
		$html = Connect_Hub_Customer_View::html( $order );
		$this->assertStringContainsString( 'DHL: <a href="https://track.example/JD0001"', $html );
		$this->assertStringContainsString( '&lt;b&gt;JD0001&lt;/b&gt;', $html );
		$this->assertStringContainsString( '<li>NOLINK</li>', $html );

		ob_start();
		Connect_Hub_Customer_View::email( $order, false, true );
		$text = ob_get_clean();
		$this->assertStringContainsString( "- DHL: JD0001 https://track.example/JD0001\n", $text );

		ob_start();
		Connect_Hub_Customer_View::order_details( $order );
		$this->assertSame( $html, ob_get_clean() );
	}
}
