<?php
/**
 * Shipments stored on the order as the meta `_connect_hub_shipments` (a list), through WC_Order so
 * it works with both order storages (HPOS and posts).
 *
 * A stored shipment: {"id", "provider", "tracking_number", "tracking_url", "created_at_gmt",
 * "source": "shop"|"hub", "external_id"}.
 *
 * @package Connect_Hub_Companion
 */

defined( 'ABSPATH' ) || exit;

/**
 * Shipment storage.
 */
class Connect_Hub_Shipments {

	const META = '_connect_hub_shipments';

	/**
	 * The order's shipments, oldest first.
	 *
	 * @param WC_Order $order The order.
	 * @return array[]
	 */
	public static function all( $order ) {
		$stored = $order->get_meta( self::META, true );
		return is_array( $stored ) ? array_values( array_filter( $stored, 'is_array' ) ) : array();
	}

	/**
	 * The shipment the hub created with `$external_id`, or null.
	 *
	 * @param WC_Order $order       The order.
	 * @param string   $external_id The hub's id for it.
	 * @return array|null
	 */
	public static function find_by_external_id( $order, $external_id ) {
		if ( '' === (string) $external_id ) {
			return null;
		}
		foreach ( self::all( $order ) as $shipment ) {
			if ( isset( $shipment['external_id'] ) && (string) $shipment['external_id'] === (string) $external_id ) {
				return $shipment;
			}
		}
		return null;
	}

	/**
	 * The hub shipment a POST repeats: same `external_id`; without one, a hub shipment with the same
	 * provider and tracking number.
	 *
	 * @param WC_Order $order  The order.
	 * @param array    $fields Sanitised fields.
	 * @return array|null
	 */
	public static function find_existing( $order, array $fields ) {
		if ( '' !== $fields['external_id'] ) {
			return self::find_by_external_id( $order, $fields['external_id'] );
		}
		foreach ( self::all( $order ) as $shipment ) {
			if ( 'hub' === $shipment['source'] && $shipment['tracking_number'] === $fields['tracking_number'] && $shipment['provider'] === $fields['provider'] ) {
				return $shipment;
			}
		}
		return null;
	}

	/**
	 * Cleans submitted fields: text fields stripped, the link http(s) only.
	 *
	 * @param array $input `provider`, `tracking_number`, `tracking_url`, `external_id`.
	 * @return array The same keys, as strings.
	 */
	public static function sanitize( array $input ) {
		$field = function ( $name ) use ( $input ) {
			return isset( $input[ $name ] ) && is_scalar( $input[ $name ] ) ? trim( (string) $input[ $name ] ) : '';
		};
		$url = $field( 'tracking_url' );
		if ( '' !== $url && ! preg_match( '#^https?://#i', $url ) ) {
			$url = '';
		}
		return array(
			'provider'        => sanitize_text_field( $field( 'provider' ) ),
			'tracking_number' => sanitize_text_field( $field( 'tracking_number' ) ),
			'tracking_url'    => '' === $url ? '' : esc_url_raw( $url, array( 'http', 'https' ) ),
			'external_id'     => sanitize_text_field( $field( 'external_id' ) ),
		);
	}

	/**
	 * Adds a shipment to the order and saves the order. A shipment from the shop (`source` "shop")
	 * is queued to the hub as `shipment.created`; one the hub wrote (`source` "hub") is not.
	 *
	 * @param WC_Order $order  The order.
	 * @param array    $fields Sanitised `provider`, `tracking_number`, `tracking_url`, `external_id`.
	 * @param string   $source `shop` or `hub`.
	 * @return array The stored shipment.
	 */
	public static function add( $order, array $fields, $source ) {
		$shipment    = array(
			'id'              => wp_generate_uuid4(),
			'provider'        => (string) ( isset( $fields['provider'] ) ? $fields['provider'] : '' ),
			'tracking_number' => (string) ( isset( $fields['tracking_number'] ) ? $fields['tracking_number'] : '' ),
			'tracking_url'    => (string) ( isset( $fields['tracking_url'] ) ? $fields['tracking_url'] : '' ),
			'created_at_gmt'  => Connect_Hub_Payloads::gmt( time() ),
			'source'          => 'hub' === $source ? 'hub' : 'shop',
			'external_id'     => (string) ( isset( $fields['external_id'] ) ? $fields['external_id'] : '' ),
		);
		$shipments   = self::all( $order );
		$shipments[] = $shipment;
		$order->update_meta_data( self::META, $shipments );
		$order->save();

		if ( 'shop' === $shipment['source'] ) {
			Connect_Hub_Sender::enqueue(
				'shipment.created',
				Connect_Hub_Payloads::shipment( $order->get_id(), $order->get_order_number(), $shipment )
			);
		}
		return $shipment;
	}

	/**
	 * A shipment as the REST API shows it.
	 *
	 * @param array $shipment A stored shipment.
	 * @return array
	 */
	public static function to_rest( array $shipment ) {
		return array(
			'id'              => (string) $shipment['id'],
			'provider'        => (string) $shipment['provider'],
			'tracking_number' => (string) $shipment['tracking_number'],
			'tracking_url'    => (string) $shipment['tracking_url'],
			'created_at_gmt'  => (string) $shipment['created_at_gmt'],
			'source'          => (string) $shipment['source'],
			'external_id'     => isset( $shipment['external_id'] ) ? (string) $shipment['external_id'] : '',
		);
	}
}
