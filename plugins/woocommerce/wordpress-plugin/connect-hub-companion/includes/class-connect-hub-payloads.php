<?php
/**
 * The JSON bodies sent to the hub (the contract shared with the hub's WooCommerce connector).
 *
 * checkout.updated / checkout.completed:
 *   {"id", "status": "pending"|"completed", "email", "first_name", "last_name", "currency",
 *    "total": "12.50", "lines": [{"sku", "name", "quantity": 2, "price": "6.25"}],
 *    "recovery_url", "updated_at_gmt": "2026-11-27T22:13:54Z"} (+ "order_id": 123 when completed)
 * shipment.created:
 *   {"order_id": 123, "order_number": "123", "shipment": {"id", "provider", "tracking_number",
 *    "tracking_url", "created_at_gmt", "source": "shop"}}
 *
 * @package Connect_Hub_Companion
 */

defined( 'ABSPATH' ) || exit;

/**
 * Pure payload builders.
 */
class Connect_Hub_Payloads {

	/**
	 * A checkout.
	 *
	 * @param array $checkout `id`, `status`, `email`, `first_name`, `last_name`, `currency`,
	 *                        `total`, `lines` (each `sku`, `name`, `quantity`, `price`),
	 *                        `recovery_url`, `updated_at` (Unix time), and `order_id` when completed.
	 * @return array
	 */
	public static function checkout( array $checkout ) {
		$lines = array();
		foreach ( isset( $checkout['lines'] ) ? $checkout['lines'] : array() as $line ) {
			$lines[] = array(
				'sku'      => (string) ( isset( $line['sku'] ) ? $line['sku'] : '' ),
				'name'     => (string) ( isset( $line['name'] ) ? $line['name'] : '' ),
				'quantity' => (int) ( isset( $line['quantity'] ) ? $line['quantity'] : 0 ),
				'price'    => self::money( isset( $line['price'] ) ? $line['price'] : 0 ),
			);
		}
		$status  = isset( $checkout['status'] ) ? (string) $checkout['status'] : 'pending';
		$payload = array(
			'id'             => (string) $checkout['id'],
			'status'         => $status,
			'email'          => (string) ( isset( $checkout['email'] ) ? $checkout['email'] : '' ),
			'first_name'     => (string) ( isset( $checkout['first_name'] ) ? $checkout['first_name'] : '' ),
			'last_name'      => (string) ( isset( $checkout['last_name'] ) ? $checkout['last_name'] : '' ),
			'currency'       => (string) ( isset( $checkout['currency'] ) ? $checkout['currency'] : '' ),
			'total'          => self::money( isset( $checkout['total'] ) ? $checkout['total'] : 0 ),
			'lines'          => $lines,
			'recovery_url'   => (string) ( isset( $checkout['recovery_url'] ) ? $checkout['recovery_url'] : '' ),
			'updated_at_gmt' => self::gmt( isset( $checkout['updated_at'] ) ? $checkout['updated_at'] : time() ),
		);
		if ( 'completed' === $status ) {
			$payload['order_id'] = (int) $checkout['order_id'];
		}
		return $payload;
	}

	/**
	 * A shipment saved in the shop.
	 *
	 * @param int|string $order_id     The order's id.
	 * @param string     $order_number The order's number as the shop shows it.
	 * @param array      $shipment     A stored shipment (see Connect_Hub_Shipments).
	 * @return array
	 */
	public static function shipment( $order_id, $order_number, array $shipment ) {
		return array(
			'order_id'     => (int) $order_id,
			'order_number' => (string) $order_number,
			'shipment'     => array(
				'id'              => (string) $shipment['id'],
				'provider'        => (string) $shipment['provider'],
				'tracking_number' => (string) $shipment['tracking_number'],
				'tracking_url'    => (string) $shipment['tracking_url'],
				'created_at_gmt'  => (string) $shipment['created_at_gmt'],
				'source'          => (string) $shipment['source'],
			),
		);
	}

	/**
	 * What a checkout's content is, without its time: equal hashes mean nothing to send.
	 *
	 * @param array $payload A checkout payload.
	 * @return string
	 */
	public static function content_hash( array $payload ) {
		unset( $payload['updated_at_gmt'] );
		return md5( (string) wp_json_encode( $payload ) );
	}

	/**
	 * An amount as a string with the shop's decimals (`12.50`), never in scientific notation.
	 *
	 * @param mixed $amount A number or numeric string.
	 * @return string
	 */
	public static function money( $amount ) {
		$decimals = function_exists( 'wc_get_price_decimals' ) ? (int) wc_get_price_decimals() : 2;
		return number_format( (float) $amount, max( 0, $decimals ), '.', '' );
	}

	/**
	 * A Unix time as `2026-11-27T22:13:54Z`.
	 *
	 * @param int $timestamp Unix time.
	 * @return string
	 */
	public static function gmt( $timestamp ) {
		return gmdate( 'Y-m-d\TH:i:s\Z', (int) $timestamp );
	}
}
