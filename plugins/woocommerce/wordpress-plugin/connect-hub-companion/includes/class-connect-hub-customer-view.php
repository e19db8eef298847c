<?php
/**
 * Shows the order's shipments to the customer: in the order e-mails and on My Account > Orders.
 *
 * @package Connect_Hub_Companion
 */

defined( 'ABSPATH' ) || exit;

/**
 * The customer's view of shipments.
 */
class Connect_Hub_Customer_View {

	/**
	 * Hooks the e-mails and the order page.
	 */
	public static function init() {
		add_action( 'woocommerce_email_order_meta', array( __CLASS__, 'email' ), 20, 3 );
		add_action( 'woocommerce_order_details_after_order_table', array( __CLASS__, 'order_details' ), 20, 1 );
	}

	/**
	 * `woocommerce_email_order_meta`.
	 *
	 * @param WC_Order $order         The order.
	 * @param bool     $sent_to_admin Whether the mail goes to the shop.
	 * @param bool     $plain_text    Whether the mail is plain text.
	 */
	public static function email( $order, $sent_to_admin = false, $plain_text = false ) {
		if ( ! is_object( $order ) ) {
			return;
		}
		echo $plain_text ? self::text( $order ) : self::html( $order ); // phpcs:ignore WordPress.Security.EscapeOutput.OutputNotEscaped -- escaped while built.
	}

	/**
	 * `woocommerce_order_details_after_order_table`.
	 *
	 * @param WC_Order $order The order.
	 */
	public static function order_details( $order ) {
		if ( is_object( $order ) ) {
			echo self::html( $order ); // phpcs:ignore WordPress.Security.EscapeOutput.OutputNotEscaped -- escaped while built.
		}
	}

	/**
	 * The shipments as escaped HTML ('' when there is none).
	 *
	 * @param WC_Order $order The order.
	 * @return string
	 */
	public static function html( $order ) {
		$shipments = Connect_Hub_Shipments::all( $order );
		if ( empty( $shipments ) ) {
			return '';
		}
		$html = '<section class="connect-hub-tracking"><h2>' . esc_html__( 'Tracking', 'connect-hub-companion' ) . '</h2><ul>';
		foreach ( $shipments as $shipment ) {
			$html .= '<li>';
			if ( '' !== $shipment['provider'] ) {
				$html .= esc_html( $shipment['provider'] ) . ': ';
			}
			$html .= Connect_Hub_Admin::tracking_html( $shipment ) . '</li>';
		}
		return $html . '</ul></section>';
	}

	/**
	 * The shipments as plain text ('' when there is none).
	 *
	 * @param WC_Order $order The order.
	 * @return string
	 */
	public static function text( $order ) {
		$shipments = Connect_Hub_Shipments::all( $order );
		if ( empty( $shipments ) ) {
			return '';
		}
		$text = "\n" . strtoupper( __( 'Tracking', 'connect-hub-companion' ) ) . "\n";
		foreach ( $shipments as $shipment ) {
			$line  = '' !== $shipment['provider'] ? $shipment['provider'] . ': ' : '';
			$line .= $shipment['tracking_number'];
			if ( '' !== $shipment['tracking_url'] ) {
				$line .= ' ' . $shipment['tracking_url'];
			}
			$text .= '- ' . wp_strip_all_tags( $line ) . "\n";
		}
		return $text;
	}
}
