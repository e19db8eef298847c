<?php
/**
 * Signing, queueing and retrying.
 */
final class SenderTest extends Connect_Hub_Test_Case {

	public function test_signature_matches_known_vector() {
		$expected_php = base64_encode( hash_hmac( 'sha256', '{"a":1}', 'verify-secret-123', true ) );
		$this->assertSame( $expected_php, Connect_Hub_Sender::sign( '{"a":1}', 'verify-secret-123' ) );
		// Computed once with Python: base64.b64encode(hmac.new(b"verify-secret-123", b'{"a":1}', sha256).digest())
		$this->assertSame( 'wf0m2Tz+xpYWIAi7lphC6xrOV79OdHrpwAdeDe521yg=', Connect_Hub_Sender::sign( '{"a":1}', 'verify-secret-123' ) );
	}

	public function test_signature_decodes_html_entities_in_the_secret_like_woocommerce() {
		$this->assertSame( Connect_Hub_Sender::sign( '{"a":1}', 'x&y' ), Connect_Hub_Sender::sign( '{"a":1}', 'x&amp;y' ) );
	}

	public function test_headers_are_those_of_a_woocommerce_webhook() {
		$headers = Connect_Hub_Sender::headers( 'checkout.updated', '{"a":1}', 'verify-secret-123', 'd1' );
		$this->assertSame( 'application/json', $headers['Content-Type'] );
		$this->assertSame( 'checkout.updated', $headers['X-WC-Webhook-Topic'] );
		$this->assertSame( 'checkout', $headers['X-WC-Webhook-Resource'] );
		$this->assertSame( 'updated', $headers['X-WC-Webhook-Event'] );
		$this->assertSame( 'https://shop.example/', $headers['X-WC-Webhook-Source'] );
		$this->assertSame( 'wf0m2Tz+xpYWIAi7lphC6xrOV79OdHrpwAdeDe521yg=', $headers['X-WC-Webhook-Signature'] );
		$this->assertSame( CONNECT_HUB_COMPANION_VERSION, $headers['X-Connect-Hub-Plugin'] );
		$this->assertSame( 'd1', $headers['X-Connect-Hub-Delivery'] );
	}

	public function test_enqueue_queues_in_the_background_and_never_posts() {
		Stubs::pair();
		$id = Connect_Hub_Sender::enqueue( 'shipment.created', array( 'a' => 1 ) );
		$this->assertIsString( $id );
		$this->assertSame( array(), Stubs::$http );
		$this->assertCount( 1, Stubs::$async );
		$this->assertSame( 'connect_hub_send', Stubs::$async[0]['hook'] );
		$this->assertSame( 'connect-hub', Stubs::$async[0]['group'] );
		$this->assertSame( array( $id, 1 ), Stubs::$async[0]['args'] );
		$delivery = $this->delivery( Stubs::$async[0] );
		$this->assertSame( 'shipment.created', $delivery['topic'] );
		$this->assertSame( '{"a":1}', $delivery['body'] );
		$this->assertFalse( Stubs::$autoload[ Connect_Hub_Sender::delivery_option( $id ) ] );
	}

	public function test_the_worker_hook_is_registered() {
		Connect_Hub_Sender::init();
		$this->assertSame( array( 'Connect_Hub_Sender', 'send' ), Stubs::$actions['connect_hub_send'][0][0] );
		$this->assertSame( 2, Stubs::$actions['connect_hub_send'][0][2] );
	}

	public function test_nothing_is_queued_before_pairing() {
		$this->assertFalse( Connect_Hub_Sender::enqueue( 'shipment.created', array( 'a' => 1 ) ) );
		$this->assertSame( array(), Stubs::$async );
	}

	public function test_send_posts_the_signed_body_to_the_hub() {
		Stubs::pair();
		$id     = Connect_Hub_Sender::enqueue( 'checkout.updated', array( 'a' => 1 ) );
		$result = Connect_Hub_Sender::send( $id, 1 );
		$this->assertSame( 'sent', $result );
		$this->assertCount( 1, Stubs::$http );
		$request = Stubs::$http[0];
		$this->assertSame( 'https://hub.example/webhooks/shop', $request['url'] );
		$this->assertSame( '{"a":1}', $request['args']['body'] );
		$this->assertSame( 'wf0m2Tz+xpYWIAi7lphC6xrOV79OdHrpwAdeDe521yg=', $request['args']['headers']['X-WC-Webhook-Signature'] );
		$this->assertSame( 'checkout.updated', $request['args']['headers']['X-WC-Webhook-Topic'] );
		$this->assertNull( get_option( Connect_Hub_Sender::delivery_option( $id ), null ) );
		$this->assertSame( 'missing', Connect_Hub_Sender::send( $id, 1 ), 'a delivery is sent once' );
	}

	public function test_a_failure_is_retried_later_with_the_same_body() {
		Stubs::pair();
		$id                = Connect_Hub_Sender::enqueue( 'checkout.updated', array( 'a' => 1 ) );
		Stubs::$responses  = array( array( 'response' => array( 'code' => 503 ) ) );
		$before            = time();
		$this->assertSame( 'retry', Connect_Hub_Sender::send( $id, 1 ) );
		$this->assertCount( 1, Stubs::$scheduled );
		$retry = Stubs::$scheduled[0];
		$this->assertSame( 'connect_hub_send', $retry['hook'] );
		$this->assertSame( 'connect-hub', $retry['group'] );
		$this->assertSame( array( $id, 2 ), $retry['args'] );
		$this->assertGreaterThanOrEqual( $before + 180, $retry['timestamp'] );
		$this->assertLessThanOrEqual( time() + 180, $retry['timestamp'] );
		$this->assertSame( '{"a":1}', $this->delivery( $retry )['body'] );
		$this->assertSame( 'warning', Stubs::$logs[0]['level'] );

		$this->assertSame( 'sent', Connect_Hub_Sender::send( $id, 2 ) );
		$this->assertSame( Stubs::$http[0]['args']['body'], Stubs::$http[1]['args']['body'] );
	}

	public function test_a_network_error_is_retried() {
		Stubs::pair();
		$id               = Connect_Hub_Sender::enqueue( 'checkout.updated', array( 'a' => 1 ) );
		Stubs::$responses = array( new WP_Error( 'http_request_failed', 'cURL error 7: Failed to connect' ) );
		$this->assertSame( 'retry', Connect_Hub_Sender::send( $id, 3 ) );
		$this->assertSame( array( $id, 4 ), Stubs::$scheduled[0]['args'] );
		$this->assertStringContainsString( 'cURL error 7', Stubs::$logs[0]['message'] );
	}

	// Issue 10, defect 5: a refused delivery is kept, shown, and sent again once paired again.
	public function test_a_refused_delivery_is_held_not_retried_and_sent_again_after_pairing_again() {
		Connect_Hub_Sender::init();
		Connect_Hub_Settings::init();
		Stubs::pair();
		$id               = Connect_Hub_Sender::enqueue( 'shipment.created', array( 'a' => 1 ) );
		Stubs::$responses = array( array( 'response' => array( 'code' => 401 ) ) );
		$this->assertSame( 'held', Connect_Hub_Sender::send( $id, 1 ) );
		$this->assertSame( array(), Stubs::$scheduled );
		$this->assertCount( 1, Stubs::$async, 'not queued again while the secret is wrong' );
		$this->assertSame( 'error', Stubs::$logs[0]['level'] );
		$this->assertSame( 'connect-hub', Stubs::$logs[0]['context']['source'] );
		$this->assertStringContainsString( 'pair again', Stubs::$logs[0]['message'] );
		$this->assertStringNotContainsString( 'verify-secret-123', Stubs::$logs[0]['message'] );
		$this->assertIsArray( get_option( Connect_Hub_Sender::delivery_option( $id ), null ), 'kept' );
		$this->assertSame( array( $id ), array_keys( Connect_Hub_Sender::held() ) );

		update_option( 'connect_hub_secret', 'the-new-secret', false ); // Paired again.
		$this->assertSame( array(), Connect_Hub_Sender::held() );
		$this->assertSame( array( $id, 1 ), end( Stubs::$async )['args'] );
		$this->assertSame( 'sent', Connect_Hub_Sender::send( $id, 1 ) );
		$this->assertSame( '{"a":1}', Stubs::$http[1]['args']['body'] );
		$this->assertSame( Connect_Hub_Sender::sign( '{"a":1}', 'the-new-secret' ), Stubs::$http[1]['args']['headers']['X-WC-Webhook-Signature'] );
	}

	public function test_pairing_again_with_the_same_values_or_the_link_sends_held_deliveries_again() {
		Stubs::pair();
		$id               = Connect_Hub_Sender::enqueue( 'shipment.created', array( 'a' => 1 ) );
		Stubs::$responses = array( array( 'response' => array( 'code' => 401 ) ) );
		Connect_Hub_Sender::send( $id, 1 );
		Stubs::$caps = array( 'manage_woocommerce' );
		ob_start();
		Connect_Hub_Settings::render_pairing();
		$this->assertStringContainsString( 'connect_hub_send_held=1', ob_get_clean() );

		$code = Connect_Hub_Pairing::new_code()['code'];
		$this->assertSame( 200, Connect_Hub_Rest::pair( new WP_REST_Request( array( 'code' => $code, 'hub_url' => 'https://hub.example/webhooks/shop', 'secret' => 'verify-secret-123' ) ) )->get_status() );
		$this->assertSame( array(), Connect_Hub_Sender::held() );
		$this->assertSame( array( $id, 1 ), end( Stubs::$async )['args'] );
	}

	public function test_held_deliveries_are_shown_to_shop_managers() {
		Stubs::pair();
		$id               = Connect_Hub_Sender::enqueue( 'shipment.created', array( 'a' => 1 ) );
		Stubs::$responses = array( array( 'response' => array( 'code' => 403 ) ) );
		Connect_Hub_Sender::send( $id, 1 );
		ob_start();
		Connect_Hub_Sender::admin_notice();
		$this->assertSame( '', ob_get_clean(), 'not for who cannot pair' );
		Stubs::$caps = array( 'manage_woocommerce' );
		ob_start();
		Connect_Hub_Sender::admin_notice();
		$html = ob_get_clean();
		$this->assertStringContainsString( '1 message', $html );
		$this->assertStringContainsString( 'HTTP 403', $html );
		$this->assertStringContainsString( 'section=connect_hub', $html );
	}

	// Issue 10, defect 9: sent when the request ends, not when WP-Cron next runs.
	public function test_a_delivery_due_now_is_run_by_an_async_request_when_the_request_ends() {
		Connect_Hub_Sender::init();
		Stubs::pair();
		do_action( 'shutdown' );
		$this->assertSame( 0, Stubs::$dispatches, 'nothing queued, no request' );
		Connect_Hub_Sender::enqueue( 'checkout.updated', array( 'n' => 1 ) );
		Connect_Hub_Sender::enqueue( 'shipment.created', array( 'n' => 2 ) );
		$this->assertSame( 0, Stubs::$dispatches, 'never during the request' );
		do_action( 'shutdown' );
		$this->assertSame( 1, Stubs::$dispatches );
		$this->assertCount( 2, Stubs::$async, 'the queue stays the fallback' );
	}

	public function test_a_delivery_for_later_starts_no_request() {
		Connect_Hub_Sender::init();
		Stubs::pair();
		Connect_Hub_Sender::enqueue( 'checkout.updated', array( 'n' => 1 ), array( 'not_before' => time() + 25 ) );
		do_action( 'shutdown' );
		$this->assertSame( 0, Stubs::$dispatches );
	}

	public function test_gives_up_after_the_last_attempt() {
		Stubs::pair();
		$id               = Connect_Hub_Sender::enqueue( 'checkout.updated', array( 'a' => 1 ) );
		Stubs::$responses = array( array( 'response' => array( 'code' => 500 ) ) );
		$this->assertSame( 'failed', Connect_Hub_Sender::send( $id, Connect_Hub_Sender::MAX_ATTEMPTS ) );
		$this->assertSame( array(), Stubs::$scheduled );
		$this->assertSame( 'error', Stubs::$logs[0]['level'] );
	}

	public function test_retry_delays_grow_and_are_capped_over_about_a_day() {
		$delays = array();
		for ( $attempt = 1; $attempt < Connect_Hub_Sender::MAX_ATTEMPTS; $attempt++ ) {
			$delays[] = Connect_Hub_Sender::retry_delay( $attempt );
		}
		$this->assertSame( array( 180, 360, 720, 1440, 2880, 5760, 11520, 21600, 21600 ), $delays );
		$this->assertGreaterThan( 12 * 3600, array_sum( $delays ) );
		$this->assertLessThan( 26 * 3600, array_sum( $delays ) );
		$this->assertSame( 21600, Connect_Hub_Sender::retry_delay( 1000 ) );
	}

	public function test_same_key_coalesces_while_waiting() {
		Stubs::pair();
		$first  = Connect_Hub_Sender::enqueue( 'checkout.updated', array( 'n' => 1 ), array( 'key' => 'checkout:c1' ) );
		$second = Connect_Hub_Sender::enqueue( 'checkout.updated', array( 'n' => 2 ), array( 'key' => 'checkout:c1' ) );
		$this->assertSame( $first, $second );
		$this->assertCount( 1, Stubs::$async );
		$this->assertSame( '{"n":2}', $this->delivery( Stubs::$async[0] )['body'] );

		// Once it is being sent, a newer payload is a new delivery.
		Connect_Hub_Sender::send( $first, 1 );
		$third = Connect_Hub_Sender::enqueue( 'checkout.updated', array( 'n' => 3 ), array( 'key' => 'checkout:c1' ) );
		$this->assertNotSame( $first, $third );
		$this->assertCount( 2, Stubs::$async );
	}

	public function test_not_before_schedules_instead_of_running_now() {
		Stubs::pair();
		$at = time() + 25;
		Connect_Hub_Sender::enqueue( 'checkout.updated', array( 'n' => 1 ), array( 'not_before' => $at ) );
		$this->assertSame( array(), Stubs::$async );
		$this->assertCount( 1, Stubs::$scheduled );
		$this->assertGreaterThanOrEqual( $at, Stubs::$scheduled[0]['timestamp'] );
	}

	public function test_drop_pending_forgets_the_waiting_delivery() {
		Stubs::pair();
		$id = Connect_Hub_Sender::enqueue( 'checkout.updated', array( 'n' => 1 ), array( 'key' => 'checkout:c1' ) );
		Connect_Hub_Sender::drop_pending( 'checkout:c1' );
		$this->assertSame( 'missing', Connect_Hub_Sender::send( $id, 1 ) );
		$this->assertSame( array(), Stubs::$http );
	}

	public function test_unpaired_at_send_time_drops_without_posting() {
		Stubs::pair();
		$id = Connect_Hub_Sender::enqueue( 'checkout.updated', array( 'n' => 1 ) );
		delete_option( 'connect_hub_secret' );
		$this->assertSame( 'failed', Connect_Hub_Sender::send( $id, 1 ) );
		$this->assertSame( array(), Stubs::$http );
	}
}
