<?php
/**
 * The settings screen: the hub's URL, the secret, and the pairing state (issue 10, defects 3, 7, 8).
 */
final class SettingsTest extends Connect_Hub_Test_Case {

	/** What WC_Admin_Settings::save_fields does with a submitted value: the filter, then null keeps the option. */
	private function submit( $option, $raw ) {
		$field = null;
		foreach ( Connect_Hub_Settings::settings( array(), 'connect_hub' ) as $candidate ) {
			if ( isset( $candidate['id'] ) && $option === $candidate['id'] ) {
				$field = $candidate;
			}
		}
		$this->assertNotNull( $field, $option );
		$value = apply_filters( 'woocommerce_admin_settings_sanitize_option_' . $option, sanitize_text_field( $raw ), $field, $raw );
		if ( null !== $value ) {
			update_option( $option, $value );
		}
		return $value;
	}

	protected function setUp(): void {
		parent::setUp();
		Connect_Hub_Settings::init();
		Connect_Hub_Sender::init();
		Stubs::pair();
	}

	public function test_a_hub_url_typed_without_http_is_refused_and_the_shop_stays_paired() {
		$this->assertNull( $this->submit( 'connect_hub_hub_url', 'hub.example/webhooks/shop' ) );
		$this->assertSame( 'https://hub.example/webhooks/shop', Connect_Hub_Settings::hub_url() );
		$this->assertTrue( Connect_Hub_Settings::is_paired() );
		$this->assertCount( 1, Stubs::$settings_errors, 'WooCommerce then shows the error instead of "settings saved"' );
		$this->assertStringContainsString( 'http:// or https://', Stubs::$settings_errors[0] );
		$this->assertStringContainsString( 'hub.example/webhooks/shop', Stubs::$settings_errors[0] );
	}

	public function test_a_valid_hub_url_is_stored_and_an_empty_one_unpairs() {
		$this->assertSame( 'http://10.0.0.5:8000/webhooks/shop', $this->submit( 'connect_hub_hub_url', ' http://10.0.0.5:8000/webhooks/shop ' ) );
		$this->assertSame( '', $this->submit( 'connect_hub_hub_url', '' ) );
		$this->assertFalse( Connect_Hub_Settings::is_paired() );
		$this->assertSame( array(), Stubs::$settings_errors );
	}

	public function test_what_an_unpaired_shop_drops_is_logged_once_an_hour() {
		update_option( 'connect_hub_hub_url', '' );
		$contact = Connect_Hub_Checkouts::contact_from_fields( 'jane@example.test', 'Jane', 'Doe' );
		WC()->cart->put( 11, 'MUG-1', 'Mug', 1, 5.0 );
		Connect_Hub_Checkouts::capture( $contact );
		Connect_Hub_Sender::enqueue( 'shipment.created', array( 'a' => 1 ) );
		$this->assertCount( 1, Stubs::$logs );
		$this->assertSame( 'warning', Stubs::$logs[0]['level'] );
		$this->assertStringContainsStringIgnoringCase( 'not paired', Stubs::$logs[0]['message'] );
		$this->assertStringContainsString( 'WooCommerce > Settings > Advanced > Connect Hub', Stubs::$logs[0]['message'] );
	}

	public function test_the_secret_is_never_in_the_page_and_an_empty_field_keeps_it() {
		$fields = Connect_Hub_Settings::settings( array(), 'connect_hub' );
		$secret = $fields[ array_search( 'connect_hub_secret', array_column( $fields, 'id' ), true ) ];
		ob_start();
		do_action( 'woocommerce_admin_field_' . $secret['type'], $secret );
		$html = ob_get_clean();
		$this->assertStringContainsString( 'name="connect_hub_secret"', $html );
		$this->assertStringContainsString( 'type="password"', $html );
		$this->assertStringNotContainsString( 'verify-secret-123', $html );
		$this->assertStringContainsString( 'value=""', $html );

		$this->assertNull( $this->submit( 'connect_hub_secret', '' ), 'an untouched field keeps the secret' );
		$this->assertSame( 'verify-secret-123', Connect_Hub_Settings::secret() );
		$this->assertSame( 'n3w-secret', $this->submit( 'connect_hub_secret', 'n3w-secret' ) );
		$this->assertSame( 'n3w-secret', Connect_Hub_Settings::secret() );
	}

	public function test_once_paired_the_screen_shows_no_fresh_code() {
		ob_start();
		Connect_Hub_Settings::render_pairing();
		$html = ob_get_clean();
		$this->assertStringContainsString( 'Paired with https://hub.example/webhooks/shop', $html );
		$this->assertStringNotContainsString( 'Pairing code:', $html );
		$this->assertFalse( get_option( Connect_Hub_Pairing::OPTION ), 'no code made' );
		$this->assertStringContainsString( 'connect_hub_new_code=1', $html, 'a link to pair again' );

		$code = Connect_Hub_Pairing::new_code()['code']; // "Pair again" asked for one.
		ob_start();
		Connect_Hub_Settings::render_pairing();
		$this->assertStringContainsString( $code, ob_get_clean() );
	}

	public function test_unpaired_the_screen_shows_a_code() {
		delete_option( 'connect_hub_secret' );
		ob_start();
		Connect_Hub_Settings::render_pairing();
		$html = ob_get_clean();
		$this->assertStringContainsString( 'Not paired yet', $html );
		$this->assertStringContainsString( Connect_Hub_Pairing::current_code()['code'], $html );
	}

	public function test_the_status_tells_which_secret_without_telling_it() {
		$data = Connect_Hub_Rest::get_status()->get_data();
		$this->assertSame( substr( hash( 'sha256', 'connect-hub-webhook:verify-secret-123' ), 0, 8 ), $data['secret_fingerprint'] );
		$this->assertStringNotContainsString( 'verify-secret-123', wp_json_encode( $data ) );
		delete_option( 'connect_hub_secret' );
		$this->assertSame( '', Connect_Hub_Rest::get_status()->get_data()['secret_fingerprint'] );
	}
}
