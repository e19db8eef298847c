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
		$this->post( array( 'provider' => '<script>x</script>DHL', 'tracking_number' => 'JD0001', 'tracking_url' => 'https://track.example/JD0001', 'external_id' => 'forged' ) );
		$shipment = Connect_Hub_Admin::save( 123 );
		$this->assertSame( 'xDHL', $shipment['provider'] );
		$this->assertSame( 'https://track.example/JD0001', $shipment['tracking_url'] );
		$this->assertSame( '', $shipment['external_id'] );
	}

	// Issue 10, defect 1: WooCommerce saves the status (and sends the completed e-mail) at
	// priority 40 of woocommerce_process_shop_order_meta; the shipment must be stored before.
	public function test_a_shipment_and_completed_in_one_save_the_completed_email_shows_the_tracking() {
		$mail = null;
		add_action(
			'woocommerce_process_shop_order_meta',
			function ( $order_id ) use ( &$mail ) { // WC_Meta_Box_Order_Data::save: the status changes, the e-mail goes.
				ob_start();
				Connect_Hub_Customer_View::email( wc_get_order( $order_id ), false, true );
				$mail = ob_get_clean();
			},
			40
		);
		Connect_Hub_Admin::init();
		$this->post( array( 'provider' => 'DHL', 'tracking_number' => 'JD0001', 'tracking_url' => '' ) );
		do_action( 'woocommerce_process_shop_order_meta', 123, Stubs::$orders[123] );
		$this->assertStringContainsString( 'DHL: JD0001', (string) $mail );
	}

	// Issue 10, defect 4: nothing typed into the box is dropped without a message.
	public function test_a_shipment_without_a_tracking_number_is_refused_with_a_message_and_kept_in_the_box() {
		$this->post( array( 'provider' => 'DHL', 'tracking_number' => ' ', 'tracking_url' => 'https://track.example/x' ) );
		$this->assertNull( Connect_Hub_Admin::save( 123 ) );
		$this->assertSame( array(), Stubs::$orders[123]->meta );
		$this->assertCount( 1, Stubs::$admin_errors );
		$this->assertStringContainsString( 'tracking number', Stubs::$admin_errors[0] );
		$this->assertStringContainsString( 'not added', Stubs::$admin_errors[0] );

		ob_start();
		Connect_Hub_Admin::render( Stubs::$orders[123] );
		$html = ob_get_clean();
		$this->assertStringContainsString( 'name="connect_hub_shipment[provider]" list="connect-hub-providers" autocomplete="off" value="DHL"', $html, 'what was typed is in the box again' );
		$this->assertStringContainsString( 'value="https://track.example/x"', $html );
		ob_start();
		Connect_Hub_Admin::render( Stubs::$orders[123] );
		$this->assertStringContainsString( 'autocomplete="off" value=""', ob_get_clean(), 'once' );
	}

	public function test_a_link_that_is_not_http_refuses_the_shipment_rather_than_saving_it_unlinked() {
		$this->post( array( 'provider' => 'DHL', 'tracking_number' => 'JD0001', 'tracking_url' => 'javascript:alert(1)' ) );
		$this->assertNull( Connect_Hub_Admin::save( 123 ) );
		$this->assertSame( array(), Stubs::$orders[123]->meta );
		$this->assertSame( array(), Stubs::$async );
		$this->assertCount( 1, Stubs::$admin_errors );
		$this->assertStringContainsString( 'http:// or https://', Stubs::$admin_errors[0] );
		ob_start();
		Connect_Hub_Admin::render( Stubs::$orders[123] );
		$this->assertStringContainsString( 'name="connect_hub_shipment[tracking_number]" autocomplete="off" value="JD0001"', ob_get_clean() );
	}

	public function test_an_empty_box_adds_nothing_and_says_nothing() {
		$this->post( array( 'provider' => '', 'tracking_number' => '', 'tracking_url' => '' ) );
		$this->assertNull( Connect_Hub_Admin::save( 123 ) );
		$this->assertSame( array(), Stubs::$admin_errors );
	}

	// Issue 10, defect 10: the shop's date format and time zone, a note, and where it went.
	public function test_the_box_shows_dates_in_the_shops_format_and_time_zone() {
		Stubs::$options['date_format'] = 'j F Y';
		Stubs::$options['time_format'] = 'H:i';
		$order = Stubs::$orders[123];
		$order->update_meta_data(
			'_connect_hub_shipments',
			array( array( 'id' => 'a', 'provider' => 'DHL', 'tracking_number' => 'JD1', 'tracking_url' => '', 'created_at_gmt' => '2026-12-01T20:36:53Z', 'source' => 'hub', 'external_id' => 'x' ) )
		);
		ob_start();
		Connect_Hub_Admin::render( $order );
		$html = ob_get_clean();
		$this->assertStringContainsString( '1 December 2026 21:36', $html );
		$this->assertStringNotContainsString( '2026-12-01T20:36:53Z', $html );
	}

	public function test_a_shipment_entered_in_the_shop_adds_an_order_note() {
		$this->post( array( 'provider' => 'DHL', 'tracking_number' => 'JD0001', 'tracking_url' => 'https://track.example/JD0001' ) );
		Connect_Hub_Admin::save( 123 );
		$notes = Stubs::$orders[123]->notes;
		$this->assertCount( 1, $notes );
		$this->assertStringContainsString( 'DHL JD0001', $notes[0]['note'] );
		$this->assertFalse( $notes[0]['customer'], 'a private note: the customer sees the tracking in the e-mail' );
	}

	public function test_the_box_shows_where_each_shop_shipment_went() {
		Connect_Hub_Sender::init();
		$this->post( array( 'provider' => 'DHL', 'tracking_number' => 'JD0001', 'tracking_url' => '' ) );
		$shipment = Connect_Hub_Admin::save( 123 );
		$order    = Stubs::$orders[123];
		$this->assertStringContainsString( 'Waiting to be sent to the hub', $this->box( $order ) );

		Connect_Hub_Sender::send( Stubs::$async[0]['args'][0], 1 );
		$this->assertStringContainsString( 'Sent to the hub (https://hub.example/webhooks/shop)', $this->box( $order ) );
		$this->assertStringContainsString( 'sent to the hub', end( $order->notes )['note'] );

		$this->post( array( 'provider' => 'DPD', 'tracking_number' => 'DPD2', 'tracking_url' => '' ) );
		Connect_Hub_Admin::save( 123 );
		Stubs::$responses = array( array( 'response' => array( 'code' => 401 ) ) );
		Connect_Hub_Sender::send( Stubs::$async[1]['args'][0], 1 );
		$this->assertStringContainsString( 'Refused by the hub', $this->box( $order ) );
		$this->assertSame( $shipment['id'], Connect_Hub_Shipments::all( $order )[0]['id'] );
	}

	public function test_a_shipment_entered_while_unpaired_says_it_was_not_sent() {
		delete_option( 'connect_hub_secret' );
		$this->post( array( 'provider' => 'DHL', 'tracking_number' => 'JD0001', 'tracking_url' => '' ) );
		$this->assertIsArray( Connect_Hub_Admin::save( 123 ) );
		$this->assertStringContainsString( 'Not sent: the shop is not paired with a hub', $this->box( Stubs::$orders[123] ) );
	}

	private function box( $order ) {
		ob_start();
		Connect_Hub_Admin::render( $order );
		return ob_get_clean();
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
