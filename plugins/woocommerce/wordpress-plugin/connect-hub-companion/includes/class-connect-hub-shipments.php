<?php
/**
 * Shipments stored on the order as the meta `_connect_hub_shipments` (a list), through WC_Order so
 * it works with both order storages (HPOS and posts).
 *
 * A stored shipment: {"id", "provider", "tracking_number", "tracking_url", "created_at_gmt",
 * "source": "shop"|"hub", "external_id"}; one entered in the shop also has where it went:
 * "hub_delivery" (the delivery's id), "hub_status" (waiting, sent, retry, held, failed, unpaired),
 * "hub_status_at", "hub_reason", "hub_url".
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
		if ( 'shop' === $shipment['source'] ) {
			$delivery = Connect_Hub_Sender::enqueue(
				'shipment.created',
				Connect_Hub_Payloads::shipment( $order->get_id(), $order->get_order_number(), $shipment )
			);
			$shipment['hub_delivery']  = false === $delivery ? '' : (string) $delivery;
			$shipment['hub_status']    = false === $delivery ? 'unpaired' : 'waiting';
			$shipment['hub_status_at'] = $shipment['created_at_gmt'];
			$order->add_order_note(
				sprintf(
					/* translators: 1: carrier and tracking number, 2: where it goes */
					__( 'Shipment added: %1$s. %2$s', 'connect-hub-companion' ),
					trim( $shipment['provider'] . ' ' . $shipment['tracking_number'] ),
					false === $delivery ? __( 'Not sent to a hub: the shop is not paired.', 'connect-hub-companion' ) : __( 'It is sent to the hub (connect-hub).', 'connect-hub-companion' )
				)
			);
		}
		$shipments   = self::all( $order );
		$shipments[] = $shipment;
		$order->update_meta_data( self::META, $shipments );
		$order->save();
		return $shipment;
	}

	/**
	 * `connect_hub_delivery_result`: records on the order where a shipment entered here went, and
	 * notes it on the order once it reached the hub or was refused.
	 *
	 * @param string $topic  The delivery's topic.
	 * @param string $body   Its body.
	 * @param string $result `sent`, `retry`, `held` or `failed`.
	 * @param string $reason The hub's answer or the error.
	 * @param string $id     The delivery's id.
	 */
	public static function on_delivery_result( $topic, $body, $result, $reason, $id ) {
		if ( 'shipment.created' !== $topic ) {
			return;
		}
		$payload = json_decode( (string) $body, true );
		if ( ! is_array( $payload ) || empty( $payload['order_id'] ) || empty( $payload['shipment']['id'] ) ) {
			return;
		}
		$order = wc_get_order( (int) $payload['order_id'] );
		if ( ! $order ) {
			return;
		}
		$shipments = self::all( $order );
		foreach ( $shipments as $i => $shipment ) {
			if ( (string) $shipment['id'] !== (string) $payload['shipment']['id'] ) {
				continue;
			}
			$shipments[ $i ]['hub_status']    = (string) $result;
			$shipments[ $i ]['hub_status_at'] = Connect_Hub_Payloads::gmt( time() );
			$shipments[ $i ]['hub_reason']    = (string) $reason;
			$shipments[ $i ]['hub_url']       = Connect_Hub_Settings::hub_url();
			$order->update_meta_data( self::META, $shipments );
			if ( 'sent' === $result ) {
				/* translators: 1: tracking number, 2: the hub's URL */
				$order->add_order_note( sprintf( __( 'Shipment %1$s sent to the hub (%2$s).', 'connect-hub-companion' ), $shipment['tracking_number'], Connect_Hub_Settings::hub_url() ) );
			} elseif ( 'held' === $result || 'failed' === $result ) {
				/* translators: 1: tracking number, 2: the shop's explanation */
				$order->add_order_note( sprintf( __( 'Shipment %1$s not sent to the hub: %2$s', 'connect-hub-companion' ), $shipment['tracking_number'], Connect_Hub_Admin::where_it_went( $shipments[ $i ] ) ) );
			}
			$order->save();
			return;
		}
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
