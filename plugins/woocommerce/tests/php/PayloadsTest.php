<?php
/**
 * The JSON bodies of the contract shared with the hub.
 */
final class PayloadsTest extends Connect_Hub_Test_Case {

	public function test_checkout_updated_has_the_contract_shape() {
		$payload = Connect_Hub_Payloads::checkout(
			array(
				'id'           => '0b6f1c9e-2f64-4c43-9d53-7a51d7e1b8a1',
				'status'       => 'pending',
				'email'        => 'jane@example.test',
				'first_name'   => 'Jane',
				'last_name'    => 'Doe',
				'currency'     => 'EUR',
				'total'        => 12.5,
				'lines'        => array(
					array( 'sku' => 'MUG-1', 'name' => 'Mug', 'quantity' => '2', 'price' => 6.25 ),
				),
				'recovery_url' => 'https://shop.example/?connect-hub-recover=abc',
				'updated_at'   => gmmktime( 22, 13, 54, 11, 27, 2026 ),
			)
		);
		$this->assertSame(
			'{"id":"0b6f1c9e-2f64-4c43-9d53-7a51d7e1b8a1","status":"pending","email":"jane@example.test","first_name":"Jane","last_name":"Doe","currency":"EUR","total":"12.50","lines":[{"sku":"MUG-1","name":"Mug","quantity":2,"price":"6.25"}],"recovery_url":"https:\/\/shop.example\/?connect-hub-recover=abc","updated_at_gmt":"2026-11-27T22:13:54Z"}',
			wp_json_encode( $payload )
		);
		$this->assertArrayNotHasKey( 'order_id', $payload );
	}

	public function test_checkout_completed_adds_the_order_id() {
		$payload = Connect_Hub_Payloads::checkout(
			array(
				'id'         => 'c1',
				'status'     => 'completed',
				'order_id'   => '123',
				'total'      => '30',
				'lines'      => array(),
				'updated_at' => 0,
			)
		);
		$this->assertSame( 'completed', $payload['status'] );
		$this->assertSame( 123, $payload['order_id'] );
		$this->assertSame( '30.00', $payload['total'] );
		$this->assertSame( '1970-01-01T00:00:00Z', $payload['updated_at_gmt'] );
		$this->assertSame( array( 'id', 'status', 'email', 'first_name', 'last_name', 'currency', 'total', 'lines', 'recovery_url', 'updated_at_gmt', 'order_id' ), array_keys( $payload ) );
	}

	public function test_completed_payload_from_an_order() {
		$order        = new Fake_Order( 123 );
		$order->items = array(
			new Fake_Order_Item( new Fake_Product( 'MUG-1', 'Mug', '6.25' ), 'Mug', 2, '12.5' ),
			new Fake_Order_Item( null, 'Deleted product', 1, '3' ),
		);
		$order->total = '15.50';
		$payload      = Connect_Hub_Checkouts::completed_payload( $order, array( 'id' => 'c1', 'token' => 'tok' ) );
		$this->assertSame( 123, $payload['order_id'] );
		$this->assertSame( 'completed', $payload['status'] );
		$this->assertSame( '15.50', $payload['total'] );
		$this->assertSame( 'jane@example.test', $payload['email'] );
		$this->assertSame( 'https://shop.example/?connect-hub-recover=tok', $payload['recovery_url'] );
		$this->assertSame(
			array(
				array( 'sku' => 'MUG-1', 'name' => 'Mug', 'quantity' => 2, 'price' => '6.25' ),
				array( 'sku' => '', 'name' => 'Deleted product', 'quantity' => 1, 'price' => '3.00' ),
			),
			$payload['lines']
		);
	}

	public function test_shipment_created_has_the_contract_shape() {
		$payload = Connect_Hub_Payloads::shipment(
			'123',
			'123',
			array(
				'id'              => 'a5b0a4c2-5d6a-4e8e-8f57-0c1f6c6b2f1e',
				'provider'        => 'DHL',
				'tracking_number' => 'JD0001',
				'tracking_url'    => 'https://track.example/JD0001',
				'created_at_gmt'  => '2026-11-27T22:13:54Z',
				'source'          => 'shop',
				'external_id'     => '',
			)
		);
		$this->assertSame(
			'{"order_id":123,"order_number":"123","shipment":{"id":"a5b0a4c2-5d6a-4e8e-8f57-0c1f6c6b2f1e","provider":"DHL","tracking_number":"JD0001","tracking_url":"https:\/\/track.example\/JD0001","created_at_gmt":"2026-11-27T22:13:54Z","source":"shop"}}',
			wp_json_encode( $payload )
		);
	}

	public function test_money_is_a_plain_decimal_string() {
		$this->assertSame( '0.10', Connect_Hub_Payloads::money( 0.1 ) );
		$this->assertSame( '1000000.00', Connect_Hub_Payloads::money( '1e6' ) );
		$this->assertSame( '6.67', Connect_Hub_Payloads::money( 20 / 3 ) );
	}

	public function test_content_hash_ignores_the_time() {
		$a = Connect_Hub_Payloads::checkout( array( 'id' => 'c', 'updated_at' => 1 ) );
		$b = Connect_Hub_Payloads::checkout( array( 'id' => 'c', 'updated_at' => 2 ) );
		$c = Connect_Hub_Payloads::checkout( array( 'id' => 'c', 'updated_at' => 2, 'total' => 1 ) );
		$this->assertSame( Connect_Hub_Payloads::content_hash( $a ), Connect_Hub_Payloads::content_hash( $b ) );
		$this->assertNotSame( Connect_Hub_Payloads::content_hash( $a ), Connect_Hub_Payloads::content_hash( $c ) );
	}
}
