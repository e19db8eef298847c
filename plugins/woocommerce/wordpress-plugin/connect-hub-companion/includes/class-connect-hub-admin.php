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

	const NONCE_ACTION = 'connect_hub_add_shipment';
	const NONCE_FIELD  = 'connect_hub_shipment_nonce';
	const FIELD        = 'connect_hub_shipment';

	/**
	 * Hooks the box and its saving.
	 */
	public static function init() {
		add_action( 'add_meta_boxes', array( __CLASS__, 'add_meta_box' ) );
		// Fired by both order screens when the order's form is saved.
		add_action( 'woocommerce_process_shop_order_meta', array( __CLASS__, 'save' ), 50, 1 );
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
				echo '<br><small>' . esc_html( $shipment['created_at_gmt'] ) . ' &middot; ' . esc_html( 'hub' === $shipment['source'] ? __( 'from the hub', 'connect-hub-companion' ) : __( 'added here', 'connect-hub-companion' ) ) . '</small></li>';
			}
			echo '</ul>';
		}
		wp_nonce_field( self::NONCE_ACTION, self::NONCE_FIELD );
		$field = self::FIELD;
		echo '<p><label for="connect-hub-provider">' . esc_html__( 'Carrier', 'connect-hub-companion' ) . '</label><br>';
		echo '<input type="text" class="widefat" id="connect-hub-provider" name="' . esc_attr( $field ) . '[provider]" list="connect-hub-providers" autocomplete="off"></p>';
		echo '<datalist id="connect-hub-providers">';
		foreach ( array( 'DHL', 'DPD', 'GLS', 'UPS', 'FedEx', 'PostNL', 'Royal Mail', 'USPS', 'Colissimo', 'Hermes' ) as $provider ) {
			echo '<option value="' . esc_attr( $provider ) . '">';
		}
		echo '</datalist>';
		echo '<p><label for="connect-hub-tracking-number">' . esc_html__( 'Tracking number', 'connect-hub-companion' ) . '</label><br>';
		echo '<input type="text" class="widefat" id="connect-hub-tracking-number" name="' . esc_attr( $field ) . '[tracking_number]" autocomplete="off"></p>';
		echo '<p><label for="connect-hub-tracking-url">' . esc_html__( 'Tracking link', 'connect-hub-companion' ) . '</label><br>';
		echo '<input type="url" class="widefat" id="connect-hub-tracking-url" name="' . esc_attr( $field ) . '[tracking_url]" placeholder="https://"></p>';
		echo '<p><button type="submit" class="button" name="connect_hub_add_shipment" value="1">' . esc_html__( 'Add shipment', 'connect-hub-companion' ) . '</button></p>';
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
		$fields = Connect_Hub_Shipments::sanitize( wp_unslash( $_POST[ self::FIELD ] ) ); // phpcs:ignore WordPress.Security.ValidatedSanitizedInput.InputNotSanitized -- sanitised field by field.
		unset( $_POST[ self::FIELD ] ); // Once per request, even if the hook fires again.
		$fields['external_id'] = '';
		if ( '' === $fields['tracking_number'] ) {
			return null;
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
