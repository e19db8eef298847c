<?php
/**
 * The hub's REST routes: authentication, shipments (idempotent), status.
 */
final class RestTest extends Connect_Hub_Test_Case {

	private function grant( ...$caps ) {
		Stubs::$logged_in = true;
		Stubs::$caps      = $caps;
	}

	public function test_routes_are_registered_with_permission_callbacks() {
		Connect_Hub_Rest::register_routes();
		$this->assertSame( array( '/connect-hub/v1/status', '/connect-hub/v1/orders/(?P<id>\d+)/shipments', '/connect-hub/v1/pair' ), array_keys( Stubs::$routes ) );
		$this->assertSame( array( 'Connect_Hub_Rest', 'can_edit_orders' ), Stubs::$routes['/connect-hub/v1/status']['permission_callback'] );
		foreach ( Stubs::$routes['/connect-hub/v1/orders/(?P<id>\d+)/shipments'] as $endpoint ) {
			$this->assertSame( array( 'Connect_Hub_Rest', 'can_edit_orders' ), $endpoint['permission_callback'] );
		}
		$this->assertSame( array( 'Connect_Hub_Rest', 'can_manage_woocommerce' ), Stubs::$routes['/connect-hub/v1/pair']['permission_callback'] );
	}

	public function test_permission_denied_without_a_key() {
		$denied = Connect_Hub_Rest::can_edit_orders();
		$this->assertInstanceOf( WP_Error::class, $denied );
		$this->assertSame( 401, $denied->get_error_data()['status'] );
	}

	public function test_permission_denied_without_the_capability() {
		$this->grant( 'read' );
		$denied = Connect_Hub_Rest::can_edit_orders();
		$this->assertInstanceOf( WP_Error::class, $denied );
		$this->assertSame( 403, $denied->get_error_data()['status'] );
	}

	public function test_permission_allowed_with_the_capability() {
		$this->grant( 'edit_shop_orders' );
		$this->assertTrue( Connect_Hub_Rest::can_edit_orders() );
		$this->assertInstanceOf( WP_Error::class, Connect_Hub_Rest::can_manage_woocommerce(), 'pairing needs manage_woocommerce' );
		$this->grant( 'manage_woocommerce' );
		$this->assertTrue( Connect_Hub_Rest::can_manage_woocommerce() );
	}

	public function test_woocommerce_authenticates_api_keys_on_our_namespace() {
		Connect_Hub_Rest::init();
		$filter = Stubs::$filters['woocommerce_rest_is_request_to_rest_api'][0][0];
		$this->assertSame( array( 'Connect_Hub_Rest', 'is_request_to_rest_api' ), $filter );

		$_SERVER['REQUEST_URI'] = '/wp-json/connect-hub/v1/orders/12/shipments?oauth_consumer_key=ck_x';
		$this->assertTrue( apply_filters( 'woocommerce_rest_is_request_to_rest_api', false ) );
		$_SERVER['REQUEST_URI'] = '/shop/wp-json/connect-hub/v1/status';
		$this->assertTrue( apply_filters( 'woocommerce_rest_is_request_to_rest_api', false ) );
		$_SERVER['REQUEST_URI'] = '/wp-json/wp/v2/users';
		$this->assertFalse( apply_filters( 'woocommerce_rest_is_request_to_rest_api', false ) );
		$_SERVER['REQUEST_URI'] = '/?s=/wp-json/connect-hub/v1/';
		$this->assertFalse( apply_filters( 'woocommerce_rest_is_request_to_rest_api', false ), 'only the path counts' );
		$_SERVER['REQUEST_URI'] = '/wp-json/wc/v3/orders';
		$this->assertTrue( apply_filters( 'woocommerce_rest_is_request_to_rest_api', true ), 'WooCommerce\'s own answer stays' );

		$_SERVER['REQUEST_URI'] = '/?rest_route=/connect-hub/v1/status';
		$_GET['rest_route']     = '/connect-hub/v1/status';
		$this->assertTrue( apply_filters( 'woocommerce_rest_is_request_to_rest_api', false ) );
	}

	public function test_status() {
		Stubs::pair();
		$response = Connect_Hub_Rest::get_status();
		$this->assertSame( 200, $response->get_status() );
		$this->assertSame(
			array(
				'plugin'      => 'connect-hub-companion',
				'version'     => CONNECT_HUB_COMPANION_VERSION,
				'paired'      => true,
				'hub_url'     => 'https://hub.example/webhooks/shop',
				'woocommerce'        => '9.9.5',
				'secret_fingerprint' => substr( hash( 'sha256', 'connect-hub-webhook:verify-secret-123' ), 0, 8 ),
			),
			$response->get_data()
		);
		$this->assertStringContainsString( 'no-store', $response->headers['Cache-Control'] );
	}

	public function test_create_shipment_is_idempotent_by_external_id() {
		Stubs::pair();
		$order               = new Fake_Order( 42 );
		$order->status       = 'processing';
		Stubs::$orders[42]   = $order;
		$body                = array(
			'id'              => '42',
			'provider'        => 'DHL',
			'tracking_number' => 'JD0001',
			'tracking_url'    => 'https://track.example/JD0001',
			'external_id'     => 'hub-shipment-7',
		);

		$created = Connect_Hub_Rest::create_shipment( new WP_REST_Request( $body ) );
		$this->assertSame( 201, $created->get_status() );
		$shipment = $created->get_data();
		$this->assertSame( 'hub', $shipment['source'] );
		$this->assertSame( 'DHL', $shipment['provider'] );
		$this->assertSame( 'JD0001', $shipment['tracking_number'] );
		$this->assertSame( 'https://track.example/JD0001', $shipment['tracking_url'] );
		$this->assertSame( 'hub-shipment-7', $shipment['external_id'] );
		$this->assertMatchesRegularExpression( '/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ$/', $shipment['created_at_gmt'] );

		$replay = Connect_Hub_Rest::create_shipment( new WP_REST_Request( $body ) );
		$this->assertSame( 200, $replay->get_status() );
		$this->assertSame( $shipment, $replay->get_data() );
		$this->assertCount( 1, $order->meta['_connect_hub_shipments'] );

		$other = Connect_Hub_Rest::create_shipment( new WP_REST_Request( array( 'external_id' => 'hub-shipment-8', 'tracking_number' => 'JD0002' ) + $body ) );
		$this->assertSame( 201, $other->get_status() );
		$this->assertCount( 2, $order->meta['_connect_hub_shipments'] );

		$this->assertSame( 'processing', $order->status, 'a shipment completes nothing by itself' );
		$this->assertSame( array(), Stubs::$async, 'the hub\'s own shipments are not sent back' );

		$listed = Connect_Hub_Rest::get_shipments( new WP_REST_Request( array( 'id' => '42' ) ) );
		$this->assertSame( 200, $listed->get_status() );
		$this->assertSame( array( 'JD0001', 'JD0002' ), array_column( $listed->get_data(), 'tracking_number' ) );
	}

	public function test_without_external_id_a_repeat_matches_provider_and_number() {
		Stubs::$orders[42] = new Fake_Order( 42 );
		$body              = array( 'id' => '42', 'provider' => 'DHL', 'tracking_number' => 'JD0001' );
		$this->assertSame( 201, Connect_Hub_Rest::create_shipment( new WP_REST_Request( $body ) )->get_status() );
		$this->assertSame( 200, Connect_Hub_Rest::create_shipment( new WP_REST_Request( $body ) )->get_status() );
	}

	public function test_create_shipment_validates() {
		Stubs::$orders[42] = new Fake_Order( 42 );
		$missing           = Connect_Hub_Rest::create_shipment( new WP_REST_Request( array( 'id' => '42', 'provider' => 'DHL' ) ) );
		$this->assertInstanceOf( WP_Error::class, $missing );
		$this->assertSame( 400, $missing->get_error_data()['status'] );

		$bad_url = Connect_Hub_Rest::create_shipment( new WP_REST_Request( array( 'id' => '42', 'tracking_number' => 'X', 'tracking_url' => 'javascript:alert(1)' ) ) );
		$this->assertInstanceOf( WP_Error::class, $bad_url );
		$this->assertSame( 400, $bad_url->get_error_data()['status'] );

		$unknown = Connect_Hub_Rest::create_shipment( new WP_REST_Request( array( 'id' => '999', 'tracking_number' => 'X' ) ) );
		$this->assertSame( 404, $unknown->get_error_data()['status'] );
		$this->assertSame( 404, Connect_Hub_Rest::get_shipments( new WP_REST_Request( array( 'id' => '999' ) ) )->get_error_data()['status'] );

		$refund            = new Fake_Order( 43 );
		$refund->type      = 'shop_order_refund';
		Stubs::$orders[43] = $refund;
		$this->assertSame( 404, Connect_Hub_Rest::get_shipments( new WP_REST_Request( array( 'id' => '43' ) ) )->get_error_data()['status'] );
	}

	public function test_input_is_sanitised() {
		Stubs::$orders[42] = new Fake_Order( 42 );
		$created           = Connect_Hub_Rest::create_shipment(
			new WP_REST_Request( array( 'id' => '42', 'provider' => '<b>DHL</b>', 'tracking_number' => " JD\n0001 ", 'external_id' => array( 'x' ) ) )
		);
		$this->assertSame( 'DHL', $created->get_data()['provider'] );
		$this->assertSame( 'JD 0001', $created->get_data()['tracking_number'] );
		$this->assertSame( '', $created->get_data()['external_id'] );
	}
}
