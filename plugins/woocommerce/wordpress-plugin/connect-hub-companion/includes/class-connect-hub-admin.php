<?php
/**
 * The "Shipments" box on the order screen (HPOS and classic), listing the order's shipments and
 * adding one. The box's fields are part of the order's form: "Add shipment" saves the order too.
 *
 * @package Connect_Hub_Companion
 */

defined( 'ABSPATH' ) || exit;

/**
 * The order screen's Shipments box.
 */
class Connect_Hub_Admin {

	const NONCE_ACTION  = 'connect_hub_add_shipment';
	const NONCE_FIELD   = 'connect_hub_shipment_nonce';
	const FIELD         = 'connect_hub_shipment';
	const KEPT_INPUT    = 'connect_hub_refused_shipment_';
	const SAVE_PRIORITY = 35; // Before WC_Meta_Box_Order_Data::save (40), which sends the status e-mails.

	/**
	 * Hooks the box and its saving.
	 */
	public static function init() {
		add_action( 'add_meta_boxes', array( __CLASS__, 'add_meta_box' ) );
		// Fired by both order screens when the order's form is saved. WooCommerce saves the status
		// at priority 40 (WC_Meta_Box_Order_Data::save), which sends the "completed" e-mail: the
		// shipment must be on the order by then, or the e-mail goes out without its tracking.
		add_action( 'woocommerce_process_shop_order_meta', array( __CLASS__, 'save' ), self::SAVE_PRIORITY, 1 );
	}

	/**
	 * The order screen's id: `woocommerce_page_wc-orders` with HPOS, else `shop_order`.
	 *
	 * @return string
	 */
	public static function screen_id() {
		if ( function_exists( 'wc_get_page_screen_id' ) ) {
			return wc_get_page_screen_id( 'shop-order' );
		}
		return 'shop_order';
	}

	/**
	 * Adds the box.
	 */
	public static function add_meta_box() {
		add_meta_box( 'connect-hub-shipments', __( 'Shipments', 'connect-hub-companion' ), array( __CLASS__, 'render' ), self::screen_id(), 'side', 'default' );
	}

	/**
	 * The box: the shipments, then the fields to add one.
	 *
	 * @param WP_Post|WC_Order $post_or_order The post (classic screen) or the order (HPOS).
	 */
	public static function render( $post_or_order ) {
		$order = ( $post_or_order instanceof WP_Post ) ? wc_get_order( $post_or_order->ID ) : $post_or_order;
		if ( ! $order ) {
			return;
		}
		$shipments = Connect_Hub_Shipments::all( $order );
		if ( empty( $shipments ) ) {
			echo '<p>' . esc_html__( 'No shipment yet.', 'connect-hub-companion' ) . '</p>';
		} else {
			echo '<ul class="connect-hub-shipments">';
			foreach ( $shipments as $shipment ) {
				echo '<li><strong>' . esc_html( '' !== $shipment['provider'] ? $shipment['provider'] : __( 'Shipment', 'connect-hub-companion' ) ) . '</strong>: ';
				echo wp_kses_post( self::tracking_html( $shipment ) );
				echo '<br><small>' . esc_html( self::local_time( $shipment['created_at_gmt'] ) ) . ' &middot; ' . esc_html( 'hub' === $shipment['source'] ? __( 'from the hub', 'connect-hub-companion' ) : __( 'added here', 'connect-hub-companion' ) ) . '</small>';
				if ( 'shop' === $shipment['source'] ) {
					echo '<br><small class="connect-hub-delivery">' . esc_html( self::where_it_went( $shipment ) ) . '</small>';
				}
				echo '</li>';
			}
			echo '</ul>';
		}
		// What was refused on the last save, typed again into the box (once).
		$kept = get_transient( self::kept_input_key( $order->get_id() ) );
		if ( is_array( $kept ) ) {
			delete_transient( self::kept_input_key( $order->get_id() ) );
		} else {
			$kept = array();
		}
		$value = function ( $name ) use ( $kept ) {
			return isset( $kept[ $name ] ) ? (string) $kept[ $name ] : '';
		};
		wp_nonce_field( self::NONCE_ACTION, self::NONCE_FIELD );
		$field = self::FIELD;
		echo '<p><label for="connect-hub-provider">' . esc_html__( 'Carrier', 'connect-hub-companion' ) . '</label><br>';
		echo '<input type="text" class="widefat" id="connect-hub-provider" name="' . esc_attr( $field ) . '[provider]" list="connect-hub-providers" autocomplete="off" value="' . esc_attr( $value( 'provider' ) ) . '"></p>';
		echo '<datalist id="connect-hub-providers">';
		foreach ( array( 'DHL', 'DPD', 'GLS', 'UPS', 'FedEx', 'PostNL', 'Royal Mail', 'USPS', 'Colissimo', 'Hermes' ) as $provider ) {
			echo '<option value="' . esc_attr( $provider ) . '">';
		}
		echo '</datalist>';
		echo '<p><label for="connect-hub-tracking-number">' . esc_html__( 'Tracking number', 'connect-hub-companion' ) . '</label><br>';
		echo '<input type="text" class="widefat" id="connect-hub-tracking-number" name="' . esc_attr( $field ) . '[tracking_number]" autocomplete="off" value="' . esc_attr( $value( 'tracking_number' ) ) . '"></p>';
		echo '<p><label for="connect-hub-tracking-url">' . esc_html__( 'Tracking link', 'connect-hub-companion' ) . '</label><br>';
		// type="text", not "url": the browser's own check would block the whole order form silently.
		echo '<input type="text" class="widefat" id="connect-hub-tracking-url" name="' . esc_attr( $field ) . '[tracking_url]" placeholder="https://" inputmode="url" value="' . esc_attr( $value( 'tracking_url' ) ) . '"></p>';
		echo '<p><button type="submit" class="button" name="connect_hub_add_shipment" value="1">' . esc_html__( 'Add shipment', 'connect-hub-companion' ) . '</button></p>';
	}

	/**
	 * A stored GMT time (`2026-12-01T20:36:53Z`) in the shop's date and time format and time zone.
	 *
	 * @param string $gmt The stored time.
	 * @return string
	 */
	public static function local_time( $gmt ) {
		$timestamp = strtotime( (string) $gmt );
		if ( false === $timestamp ) {
			return (string) $gmt;
		}
		$format = trim( get_option( 'date_format', 'F j, Y' ) . ' ' . get_option( 'time_format', 'g:i a' ) );
		return (string) wp_date( $format, $timestamp );
	}

	/**
	 * Where a shipment entered here went: sent to the hub, waiting, refused, or not sent.
	 *
	 * @param array $shipment A stored shipment.
	 * @return string
	 */
	public static function where_it_went( array $shipment ) {
		$status = isset( $shipment['hub_status'] ) ? (string) $shipment['hub_status'] : '';
		$at     = empty( $shipment['hub_status_at'] ) ? '' : self::local_time( $shipment['hub_status_at'] );
		$reason = isset( $shipment['hub_reason'] ) ? (string) $shipment['hub_reason'] : '';
		$hub    = isset( $shipment['hub_url'] ) ? (string) $shipment['hub_url'] : '';
		switch ( $status ) {
			case 'sent':
				/* translators: 1: the hub's URL, 2: a date */
				return sprintf( __( 'Sent to the hub (%1$s) on %2$s.', 'connect-hub-companion' ), $hub, $at );
			case 'retry':
				/* translators: %s: why the last attempt failed */
				return sprintf( __( 'Waiting to be sent to the hub: the last attempt failed (%s); it is tried again.', 'connect-hub-companion' ), $reason );
			case 'held':
				/* translators: %s: the hub's answer */
				return sprintf( __( 'Refused by the hub (%s): the shared secret differs. Pair again; it is sent then.', 'connect-hub-companion' ), $reason );
			case 'failed':
				/* translators: %s: why */
				return sprintf( __( 'Not sent: %s', 'connect-hub-companion' ), $reason );
			case 'unpaired':
				return __( 'Not sent: the shop is not paired with a hub.', 'connect-hub-companion' );
			default:
				return __( 'Waiting to be sent to the hub.', 'connect-hub-companion' );
		}
	}

	/**
	 * The transient keeping refused input of the current user for an order.
	 *
	 * @param int $order_id The order's id.
	 * @return string
	 */
	private static function kept_input_key( $order_id ) {
		return self::KEPT_INPUT . get_current_user_id() . '_' . (int) $order_id;
	}

	/**
	 * Refuses what was typed: a message on the next screen, and the input kept for the box.
	 *
	 * @param int    $order_id The order's id.
	 * @param array  $fields   The sanitised fields.
	 * @param string $message  Why.
	 * @return null
	 */
	private static function refuse( $order_id, array $fields, $message ) {
		unset( $fields['external_id'] );
		set_transient( self::kept_input_key( $order_id ), $fields, HOUR_IN_SECONDS );
		if ( class_exists( 'WC_Admin_Meta_Boxes' ) ) {
			WC_Admin_Meta_Boxes::add_error( $message );
		}
		return null;
	}

	/**
	 * Saves a shipment typed into the box (nonce, capability `edit_shop_orders`, sanitised), and
	 * queues `shipment.created` to the hub.
	 *
	 * @param int $order_id The order's id.
	 * @return array|null The stored shipment, or null when nothing was added.
	 */
	public static function save( $order_id ) {
		if ( ! isset( $_POST[ self::NONCE_FIELD ], $_POST[ self::FIELD ] ) || ! is_array( $_POST[ self::FIELD ] ) ) {
			return null;
		}
		if ( ! wp_verify_nonce( sanitize_key( wp_unslash( $_POST[ self::NONCE_FIELD ] ) ), self::NONCE_ACTION ) || ! current_user_can( 'edit_shop_orders' ) ) {
			return null;
		}
		$raw = wp_unslash( $_POST[ self::FIELD ] ); // phpcs:ignore WordPress.Security.ValidatedSanitizedInput.InputNotSanitized -- sanitised field by field.
		unset( $_POST[ self::FIELD ] ); // Once per request, even if the hook fires again.
		$fields                = Connect_Hub_Shipments::sanitize( $raw );
		$fields['external_id'] = '';
		$typed_url             = isset( $raw['tracking_url'] ) && is_scalar( $raw['tracking_url'] ) ? sanitize_text_field( (string) $raw['tracking_url'] ) : '';
		if ( '' === $fields['provider'] && '' === $fields['tracking_number'] && '' === $typed_url ) {
			return null; // The box was left empty: the order was saved for something else.
		}
		$kept = array_merge( $fields, array( 'tracking_url' => $typed_url ) );
		if ( '' === $fields['tracking_number'] ) {
			return self::refuse( $order_id, $kept, __( 'Shipments: a shipment needs a tracking number, so it was not added. What you typed is still in the box.', 'connect-hub-companion' ) );
		}
		if ( '' !== $typed_url && '' === $fields['tracking_url'] ) {
			return self::refuse( $order_id, $kept, __( 'Shipments: the tracking link must start with http:// or https://, so the shipment was not added. What you typed is still in the box.', 'connect-hub-companion' ) );
		}
		$order = wc_get_order( $order_id );
		if ( ! $order ) {
			return null;
		}
		return Connect_Hub_Shipments::add( $order, $fields, 'shop' );
	}

	/**
	 * The tracking number, linked when there is a link (HTML, escaped).
	 *
	 * @param array $shipment A stored shipment.
	 * @return string
	 */
	public static function tracking_html( array $shipment ) {
		if ( '' !== $shipment['tracking_url'] ) {
			return '<a href="' . esc_url( $shipment['tracking_url'] ) . '" target="_blank" rel="noopener noreferrer">' . esc_html( $shipment['tracking_number'] ) . '</a>';
		}
		return esc_html( $shipment['tracking_number'] );
	}
}
