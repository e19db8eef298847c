<?php
/**
 * One-time pairing codes and POST /pair.
 */
final class PairingTest extends Connect_Hub_Test_Case {

	private function pair_request( $code, $hub_url = 'https://hub.example/webhooks/shop', $secret = 's3cret' ) {
		return new WP_REST_Request( array( 'code' => $code, 'hub_url' => $hub_url, 'secret' => $secret ) );
	}

	public function test_a_code_looks_like_xxxx_xxxx_and_is_kept_while_valid() {
		$code = Connect_Hub_Pairing::current_code();
		$this->assertMatchesRegularExpression( '/^[A-HJ-NP-Z2-9]{4}-[A-HJ-NP-Z2-9]{4}$/', $code['code'] );
		$this->assertGreaterThan( time(), $code['expires'] );
		$this->assertSame( $code, Connect_Hub_Pairing::current_code() );
		$this->assertFalse( Stubs::$autoload['connect_hub_pairing_code'] );
		$this->assertNotSame( $code['code'], Connect_Hub_Pairing::new_code()['code'] );
	}

	public function test_a_valid_code_pairs_once() {
		$code     = Connect_Hub_Pairing::current_code()['code'];
		$response = Connect_Hub_Rest::pair( $this->pair_request( $code ) );
		$this->assertSame( 200, $response->get_status() );
		$this->assertTrue( $response->get_data()['paired'] );
		$this->assertSame( 'https://hub.example/webhooks/shop', get_option( 'connect_hub_hub_url' ) );
		$this->assertSame( 's3cret', get_option( 'connect_hub_secret' ) );
		$this->assertFalse( Stubs::$autoload['connect_hub_secret'], 'the secret is not autoloaded' );
		$this->assertTrue( Connect_Hub_Settings::is_paired() );

		$again = Connect_Hub_Rest::pair( $this->pair_request( $code, 'https://evil.example/webhooks/x', 'other' ) );
		$this->assertInstanceOf( WP_Error::class, $again );
		$this->assertSame( 403, $again->get_error_data()['status'] );
		$this->assertSame( 'https://hub.example/webhooks/shop', get_option( 'connect_hub_hub_url' ), 'a burnt code changes nothing' );
	}

	public function test_case_spaces_and_dashes_do_not_matter() {
		$code = Connect_Hub_Pairing::current_code()['code'];
		$this->assertTrue( Connect_Hub_Pairing::consume( ' ' . strtolower( str_replace( '-', '', $code ) ) . ' ' ) );
	}

	public function test_an_expired_code_is_refused() {
		$code                                      = Connect_Hub_Pairing::current_code()['code'];
		Stubs::$options['connect_hub_pairing_code']['expires'] = time() - 1;
		$this->assertFalse( Connect_Hub_Pairing::consume( $code ) );
		$this->assertInstanceOf( WP_Error::class, Connect_Hub_Rest::pair( $this->pair_request( $code ) ) );
		$this->assertFalse( Connect_Hub_Settings::is_paired() );
	}

	public function test_without_a_code_nothing_pairs() {
		$this->assertFalse( Connect_Hub_Pairing::consume( 'ABCD-EFGH' ) );
	}

	public function test_wrong_guesses_burn_the_code() {
		$code = Connect_Hub_Pairing::current_code()['code'];
		for ( $i = 0; $i < Connect_Hub_Pairing::MAX_FAILURES; $i++ ) {
			$this->assertFalse( Connect_Hub_Pairing::consume( 'WRONG' ) );
		}
		$this->assertFalse( Connect_Hub_Pairing::consume( $code ) );
	}

	public function test_bad_requests_are_400_and_keep_the_code() {
		$code = Connect_Hub_Pairing::current_code()['code'];
		foreach ( array(
			$this->pair_request( $code, 'ftp://hub.example/' ),
			$this->pair_request( $code, 'not a url' ),
			$this->pair_request( $code, 'https://hub.example/webhooks/shop', '' ),
			$this->pair_request( '' ),
		) as $request ) {
			$error = Connect_Hub_Rest::pair( $request );
			$this->assertInstanceOf( WP_Error::class, $error );
			$this->assertSame( 400, $error->get_error_data()['status'] );
		}
		$this->assertSame( 200, Connect_Hub_Rest::pair( $this->pair_request( $code ) )->get_status() );
	}

	public function test_settings_section_and_fields() {
		$this->assertArrayHasKey( 'connect_hub', Connect_Hub_Settings::add_section( array() ) );
		$this->assertSame( array( 'x' ), Connect_Hub_Settings::settings( array( 'x' ), 'other' ) );
		$fields = Connect_Hub_Settings::settings( array(), 'connect_hub' );
		$ids    = array_column( $fields, 'id' );
		$this->assertContains( 'connect_hub_hub_url', $ids );
		$this->assertContains( 'connect_hub_secret', $ids );
		$pairing = $fields[ array_search( 'connect_hub_pairing_display', $ids, true ) ];
		$this->assertFalse( $pairing['is_option'], 'saving the form never overwrites the pairing code' );
		$secret = $fields[ array_search( 'connect_hub_secret', $ids, true ) ];
		$this->assertSame( 'connect_hub_secret', $secret['type'], 'our own field: WooCommerce\'s password field prints the value' );
		$this->assertFalse( $secret['autoload'] );
	}
}
