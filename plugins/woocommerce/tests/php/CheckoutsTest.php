<?php
/**
 * Checkout capture, debounce, completion and recovery.
 */
final class CheckoutsTest extends Connect_Hub_Test_Case {

	protected function setUp(): void {
		parent::setUp();
		Stubs::pair();
		WC()->cart->put( 11, 'MUG-1', 'Mug', 2, 12.5 );
		WC()->cart->total = 12.5;
	}

	private function last_payload() {
		$actions = array_merge( Stubs::$async, Stubs::$scheduled );
		$this->assertNotEmpty( $actions );
		$delivery = $this->delivery( end( $actions ) );
		return array( $delivery['topic'], json_decode( $delivery['body'], true ) );
	}

	public function test_nothing_before_the_email_is_known() {
		$this->assertFalse( Connect_Hub_Checkouts::capture() );
		Connect_Hub_Checkouts::on_update_order_review( 'billing_email=not-an-email&billing_first_name=Jane' );
		Connect_Hub_Checkouts::on_cart_updated();
		$this->assertSame( array(), Stubs::$async );
		$this->assertSame( array(), Stubs::$scheduled );
	}

	public function test_the_checkout_form_captures_a_checkout() {
		Connect_Hub_Checkouts::on_update_order_review( 'billing_first_name=Jane&billing_last_name=Doe&billing_email=jane%40example.test&billing_country=NL' );
		$this->assertCount( 1, Stubs::$async );
		$this->assertSame( array(), Stubs::$http, 'never sent during the shopper\'s request' );
		list( $topic, $payload ) = $this->last_payload();
		$this->assertSame( 'checkout.updated', $topic );
		$state = WC()->session->get( 'connect_hub_checkout' );
		$this->assertMatchesRegularExpression( '/^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/', $payload['id'] );
		$this->assertSame( $state['id'], $payload['id'] );
		$this->assertSame( 'pending', $payload['status'] );
		$this->assertSame( 'jane@example.test', $payload['email'] );
		$this->assertSame( 'Jane', $payload['first_name'] );
		$this->assertSame( 'Doe', $payload['last_name'] );
		$this->assertSame( 'EUR', $payload['currency'] );
		$this->assertSame( '12.50', $payload['total'] );
		$this->assertSame( array( array( 'sku' => 'MUG-1', 'name' => 'Mug', 'quantity' => 2, 'price' => '6.25' ) ), $payload['lines'] );
		$this->assertSame( 'https://shop.example/?connect-hub-recover=' . $state['token'], $payload['recovery_url'] );
		$this->assertMatchesRegularExpression( '/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ$/', $payload['updated_at_gmt'] );
		$this->assertMatchesRegularExpression( '/^[A-Za-z0-9]{32}$/', $state['token'] );
	}

	public function test_the_same_content_is_not_sent_again() {
		Connect_Hub_Checkouts::capture( Connect_Hub_Checkouts::contact_from_fields( 'jane@example.test', 'Jane', 'Doe' ) );
		Connect_Hub_Checkouts::on_cart_updated();
		Connect_Hub_Checkouts::on_update_order_review( 'billing_first_name=Jane&billing_last_name=Doe&billing_email=jane%40example.test' );
		$this->assertCount( 1, Stubs::$async );
		$this->assertSame( array(), Stubs::$scheduled );
	}

	public function test_changes_soon_after_are_debounced_and_coalesced() {
		Connect_Hub_Checkouts::capture( Connect_Hub_Checkouts::contact_from_fields( 'jane@example.test', 'Jane', 'Doe' ) );
		$first_id = WC()->session->get( 'connect_hub_checkout' )['id'];
		Connect_Hub_Sender::send( Stubs::$async[0]['args'][0], 1 );

		WC()->cart->put( 12, 'POSTER-1', 'Poster', 1, 10 );
		WC()->cart->total = 22.5;
		Connect_Hub_Checkouts::on_cart_updated();
		$this->assertCount( 1, Stubs::$async );
		$this->assertCount( 1, Stubs::$scheduled, 'within the debounce window: scheduled, not immediate' );
		$this->assertGreaterThanOrEqual( time() + Connect_Hub_Checkouts::DEBOUNCE - 1, Stubs::$scheduled[0]['timestamp'] );

		WC()->cart->put( 13, 'STICKER-1', 'Sticker', 3, 3 );
		WC()->cart->total = 25.5;
		Connect_Hub_Checkouts::on_cart_updated();
		$this->assertCount( 1, Stubs::$scheduled, 'coalesced into the waiting delivery' );
		list( , $payload ) = $this->last_payload();
		$this->assertSame( '25.50', $payload['total'] );
		$this->assertSame( array( 'MUG-1', 'POSTER-1', 'STICKER-1' ), array_column( $payload['lines'], 'sku' ) );
		$this->assertSame( $first_id, $payload['id'], 'the checkout keeps its id' );
	}

	public function test_a_logged_in_customer_is_known_by_billing_email() {
		WC()->customer->billing = array( 'email' => 'max@example.test', 'first_name' => 'Max', 'last_name' => 'Mustermann' );
		Connect_Hub_Checkouts::on_cart_updated();
		list( , $payload ) = $this->last_payload();
		$this->assertSame( 'max@example.test', $payload['email'] );
	}

	public function test_block_checkout_draft_order_and_customer() {
		$draft          = new Fake_Order( 77 );
		$draft->status  = 'checkout-draft';
		$draft->billing = array( 'email' => 'block@example.test', 'first_name' => 'B', 'last_name' => 'L' );
		Connect_Hub_Checkouts::on_new_order( 77, $draft );
		list( , $payload ) = $this->last_payload();
		$this->assertSame( 'block@example.test', $payload['email'] );

		$placed          = new Fake_Order( 78 );
		$placed->status  = 'pending';
		$placed->billing = array( 'email' => 'other@example.test', 'first_name' => '', 'last_name' => '' );
		Connect_Hub_Checkouts::on_draft_order( $placed );
		list( , $payload ) = $this->last_payload();
		$this->assertSame( 'block@example.test', $payload['email'], 'only checkout-draft orders count' );

		$customer          = new Fake_Customer();
		$customer->billing = array( 'email' => 'typed@example.test', 'first_name' => 'T', 'last_name' => 'Y' );
		Connect_Hub_Checkouts::on_store_api_customer( $customer );
		list( , $payload ) = $this->last_payload();
		$this->assertSame( 'typed@example.test', $payload['email'] );
	}

	public function test_an_empty_cart_is_no_checkout() {
		WC()->cart->items = array();
		$this->assertFalse( Connect_Hub_Checkouts::capture( Connect_Hub_Checkouts::contact_from_fields( 'jane@example.test', '', '' ) ) );
	}

	public function test_placing_the_order_completes_the_checkout() {
		Connect_Hub_Checkouts::capture( Connect_Hub_Checkouts::contact_from_fields( 'jane@example.test', 'Jane', 'Doe' ) );
		$id = WC()->session->get( 'connect_hub_checkout' )['id'];
		WC()->cart->put( 12, 'POSTER-1', 'Poster', 1, 10 );
		Connect_Hub_Checkouts::on_cart_updated(); // coalesced into the first delivery, still waiting
		$waiting = Stubs::$async[0];
		$this->assertCount( 1, Stubs::$async );

		$order        = new Fake_Order( 123 );
		$order->items = array( new Fake_Order_Item( new Fake_Product( 'MUG-1', 'Mug', '6.25' ), 'Mug', 2, '12.50' ) );
		Stubs::$orders[123] = $order;
		Connect_Hub_Checkouts::on_checkout_order_processed( 123, array(), $order );

		$this->assertSame( $id, $order->meta['_connect_hub_checkout_id'] );
		$this->assertSame( 1, $order->saves );
		$this->assertNull( $this->delivery( $waiting ), 'the waiting update is dropped' );
		$this->assertCount( 2, Stubs::$async );
		list( $topic, $payload ) = $this->last_payload();
		$this->assertSame( 'checkout.completed', $topic );
		$this->assertSame( $id, $payload['id'] );
		$this->assertSame( 'completed', $payload['status'] );
		$this->assertSame( 123, $payload['order_id'] );
		$this->assertSame( '12.50', $payload['total'] );
		$this->assertNull( WC()->session->get( 'connect_hub_checkout' ) );

		// Block checkout's hook for the same order does not complete it twice.
		$queued = count( Stubs::$async );
		$this->assertFalse( Connect_Hub_Checkouts::complete( $order ) );
		$this->assertCount( $queued, Stubs::$async );

		// The placed order's cart (e.g. awaiting an off-site payment) is not a new checkout...
		Connect_Hub_Checkouts::on_cart_updated();
		$this->assertCount( $queued, Stubs::$async );
		$this->assertNull( WC()->session->get( 'connect_hub_checkout' ) );
		// ...but a changed cart is, with a new id.
		WC()->cart->put( 13, 'STICKER-1', 'Sticker', 1, 1 );
		Connect_Hub_Checkouts::on_cart_updated();
		$this->assertNotSame( $id, WC()->session->get( 'connect_hub_checkout' )['id'] );
	}

	public function test_an_order_without_a_checkout_sends_nothing() {
		$order = new Fake_Order( 5 );
		$this->assertFalse( Connect_Hub_Checkouts::complete( $order ) );
		$this->assertSame( array(), $order->meta );
	}

	public function test_the_recovery_link_restores_the_cart() {
		WC()->cart->put( 20, 'TSHIRT-M', 'T-shirt - M', 1, 20, 22, array( 'attribute_size' => 'M' ) );
		Connect_Hub_Checkouts::capture( Connect_Hub_Checkouts::contact_from_fields( 'jane@example.test', 'Jane', 'Doe' ) );
		$state = WC()->session->get( 'connect_hub_checkout' );
		$this->assertFalse( Stubs::$autoload[ Connect_Hub_Checkouts::RECORD_PREFIX . $state['id'] ] );

		// The shopper comes back later, in a new browser.
		$queued    = count( Stubs::$async ) + count( Stubs::$scheduled );
		Stubs::$wc = new Fake_WC();
		$this->assertTrue( Connect_Hub_Checkouts::recover( $state['token'] ) );
		$this->assertTrue( WC()->session->has_session() );
		$this->assertSame( array( array( 11, 2, 0, array() ), array( 20, 1, 22, array( 'attribute_size' => 'M' ) ) ), WC()->cart->added );
		$this->assertSame( $state['id'], WC()->session->get( 'connect_hub_checkout' )['id'] );
		$this->assertSame( 'jane@example.test', WC()->customer->get_billing_email() );
		$this->assertSame( $queued, count( Stubs::$async ) + count( Stubs::$scheduled ) );

		$this->assertFalse( Connect_Hub_Checkouts::recover( 'nope' ) );
		$this->assertFalse( Connect_Hub_Checkouts::recover( '' ) );
	}

	public function test_a_completed_checkout_cannot_be_recovered() {
		Connect_Hub_Checkouts::capture( Connect_Hub_Checkouts::contact_from_fields( 'jane@example.test', 'Jane', 'Doe' ) );
		$token = WC()->session->get( 'connect_hub_checkout' )['token'];
		Connect_Hub_Checkouts::complete( new Fake_Order( 9 ) );
		Stubs::$wc = new Fake_WC();
		$this->assertFalse( Connect_Hub_Checkouts::recover( $token ) );
	}

	public function test_nothing_happens_unpaired() {
		delete_option( 'connect_hub_secret' );
		$this->assertFalse( Connect_Hub_Checkouts::capture( Connect_Hub_Checkouts::contact_from_fields( 'jane@example.test', 'Jane', 'Doe' ) ) );
		$this->assertSame( array(), Stubs::$async );
	}

	public function test_hooks_are_registered() {
		Connect_Hub_Checkouts::init();
		foreach ( array( 'woocommerce_checkout_update_order_review', 'woocommerce_cart_updated', 'woocommerce_store_api_checkout_update_order_from_request', 'woocommerce_new_order', 'woocommerce_checkout_order_processed', 'woocommerce_store_api_checkout_order_processed', 'wp_loaded' ) as $hook ) {
			$this->assertArrayHasKey( $hook, Stubs::$actions, $hook );
		}
	}

	public function test_cleanup_forgets_old_checkouts_and_lost_deliveries() {
		Connect_Hub_Checkouts::capture( Connect_Hub_Checkouts::contact_from_fields( 'jane@example.test', 'Jane', 'Doe' ) );
		$state  = WC()->session->get( 'connect_hub_checkout' );
		$record = Connect_Hub_Checkouts::RECORD_PREFIX . $state['id'];
		$fresh  = Stubs::$async[0]['args'][0];
		update_option( Connect_Hub_Checkouts::RECORD_PREFIX . 'old', array( 'updated' => time() - 31 * DAY_IN_SECONDS, 'token' => 'oldtoken' ), false );
		update_option( Connect_Hub_Checkouts::token_option( 'oldtoken' ), 'old', false );
		update_option( Connect_Hub_Sender::delivery_option( 'lost' ), array( 'created' => time() - 8 * DAY_IN_SECONDS ), false );

		$GLOBALS['wpdb'] = new class() {
			public $options = 'wp_options';
			public function esc_like( $text ) {
				return addcslashes( $text, '_%\\' );
			}
			public function prepare( $query, ...$args ) {
				return array( $query, $args );
			}
			public function get_col( $prepared ) {
				$names = array();
				foreach ( array_keys( Stubs::$options ) as $name ) {
					foreach ( $prepared[1] as $like ) {
						if ( 0 === strpos( $name, stripslashes( rtrim( $like, '%' ) ) ) ) {
							$names[] = $name;
						}
					}
				}
				return $names;
			}
		};
		try {
			$this->assertSame( 2, Connect_Hub_Checkouts::cleanup() );
		} finally {
			unset( $GLOBALS['wpdb'] );
		}
		$this->assertFalse( get_option( Connect_Hub_Checkouts::RECORD_PREFIX . 'old' ) );
		$this->assertFalse( get_option( Connect_Hub_Checkouts::token_option( 'oldtoken' ) ) );
		$this->assertFalse( get_option( Connect_Hub_Sender::delivery_option( 'lost' ) ) );
		$this->assertIsArray( get_option( $record ) );
		$this->assertIsArray( get_option( Connect_Hub_Sender::delivery_option( $fresh ) ) );
	}
}
