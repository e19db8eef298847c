<?php
/**
 * Checkouts: a cart becomes a checkout as soon as the shopper's e-mail is known, and the hub gets
 * `checkout.updated` whenever its content changes (coalesced, at most one send per checkout per
 * DEBOUNCE seconds), then `checkout.completed` when the order is placed.
 *
 * The checkout's id (a random UUID) and its recovery token live in the WooCommerce session; the
 * cart needed to restore it from the recovery link lives server-side in a non-autoloaded option.
 * Nothing here talks to the hub during the shopper's request: it only queues.
 *
 * @package Connect_Hub_Companion
 */

defined( 'ABSPATH' ) || exit;

/**
 * Checkout capture, completion and recovery.
 */
class Connect_Hub_Checkouts {

	const SESSION_STATE   = 'connect_hub_checkout';
	const SESSION_CONTACT = 'connect_hub_contact';
	const SESSION_ORDERED = 'connect_hub_ordered_cart';
	const QUERY_ARG       = 'connect-hub-recover';
	const ORDER_META      = '_connect_hub_checkout_id';
	const RECORD_PREFIX   = 'connect_hub_checkout_';
	const TOKEN_PREFIX    = 'connect_hub_recover_';
	const CLEANUP_HOOK    = 'connect_hub_cleanup';
	const DEBOUNCE        = 30;
	const KEEP_DAYS       = 30;

	/**
	 * Hooks capture, completion, recovery and the daily clean-up.
	 */
	public static function init() {
		// Classic checkout: the checkout form posts its fields while the shopper types.
		add_action( 'woocommerce_checkout_update_order_review', array( __CLASS__, 'on_update_order_review' ) );
		// Any cart change (after totals), for a shopper whose e-mail is known.
		add_action( 'woocommerce_cart_updated', array( __CLASS__, 'on_cart_updated' ) );
		// Block checkout (Store API): the customer's address, then the draft order.
		add_action( 'woocommerce_store_api_cart_update_customer_from_request', array( __CLASS__, 'on_store_api_customer' ), 20, 1 );
		add_action( 'woocommerce_store_api_checkout_update_order_from_request', array( __CLASS__, 'on_draft_order' ), 20, 1 );
		add_action( 'woocommerce_new_order', array( __CLASS__, 'on_new_order' ), 20, 2 );
		// The order is placed.
		add_action( 'woocommerce_checkout_order_processed', array( __CLASS__, 'on_checkout_order_processed' ), 20, 3 );
		// The block checkout's (WooCommerce 7.2+; its older name is deprecated and logs a notice).
		add_action( 'woocommerce_store_api_checkout_order_processed', array( __CLASS__, 'complete' ), 20, 1 );
		// The recovery link, once the cart is loaded.
		add_action( 'wp_loaded', array( __CLASS__, 'maybe_recover' ), 25 );
		add_action( self::CLEANUP_HOOK, array( __CLASS__, 'cleanup' ) );
		add_action( 'admin_init', array( __CLASS__, 'schedule_cleanup' ) );
	}

	/**
	 * `woocommerce_checkout_update_order_review`: the classic checkout's fields, URL-encoded.
	 *
	 * @param string $post_data The form's fields.
	 */
	public static function on_update_order_review( $post_data ) {
		$fields = array();
		parse_str( (string) $post_data, $fields );
		$contact = self::contact_from_fields(
			isset( $fields['billing_email'] ) ? $fields['billing_email'] : '',
			isset( $fields['billing_first_name'] ) ? $fields['billing_first_name'] : '',
			isset( $fields['billing_last_name'] ) ? $fields['billing_last_name'] : ''
		);
		if ( null !== $contact ) {
			self::safely( array( __CLASS__, 'capture' ), $contact );
		}
	}

	/**
	 * `woocommerce_cart_updated`: only for a shopper whose e-mail is known already.
	 */
	public static function on_cart_updated() {
		self::safely( array( __CLASS__, 'capture' ), null );
	}

	/**
	 * `woocommerce_store_api_cart_update_customer_from_request`.
	 *
	 * @param WC_Customer $customer The customer.
	 */
	public static function on_store_api_customer( $customer ) {
		if ( ! is_object( $customer ) || ! method_exists( $customer, 'get_billing_email' ) ) {
			return;
		}
		$contact = self::contact_from_fields( $customer->get_billing_email(), $customer->get_billing_first_name(), $customer->get_billing_last_name() );
		if ( null !== $contact ) {
			self::safely( array( __CLASS__, 'capture' ), $contact );
		}
	}

	/**
	 * The block checkout's draft order (`checkout-draft`), as the Store API updates it.
	 *
	 * @param WC_Order $order The draft order.
	 */
	public static function on_draft_order( $order ) {
		if ( ! is_object( $order ) || 'checkout-draft' !== $order->get_status() ) {
			return;
		}
		$contact = self::contact_from_fields( $order->get_billing_email(), $order->get_billing_first_name(), $order->get_billing_last_name() );
		if ( null !== $contact ) {
			self::safely( array( __CLASS__, 'capture' ), $contact );
		}
	}

	/**
	 * `woocommerce_new_order`: a draft order made by the block checkout.
	 *
	 * @param int           $order_id The order's id.
	 * @param WC_Order|null $order    The order (WooCommerce 5.2+).
	 */
	public static function on_new_order( $order_id, $order = null ) {
		if ( is_admin() && ! wp_doing_ajax() ) {
			return;
		}
		if ( ! is_object( $order ) ) {
			$order = wc_get_order( $order_id );
		}
		if ( $order ) {
			self::on_draft_order( $order );
		}
	}

	/**
	 * `woocommerce_checkout_order_processed` (classic checkout).
	 *
	 * @param int      $order_id    The order's id.
	 * @param array    $posted_data The posted fields.
	 * @param WC_Order $order       The order.
	 */
	public static function on_checkout_order_processed( $order_id, $posted_data = array(), $order = null ) {
		if ( ! is_object( $order ) ) {
			$order = wc_get_order( $order_id );
		}
		self::complete( $order );
	}

	/**
	 * Records the session's cart as a checkout and queues `checkout.updated` when its content
	 * changed. Nothing happens until an e-mail is known, or for an empty cart.
	 *
	 * @param array|null $contact `email`, `first_name`, `last_name`; null: the one known already.
	 * @return bool Whether something was queued.
	 */
	public static function capture( $contact = null ) {
		$wc = function_exists( 'WC' ) ? WC() : null;
		if ( ! $wc || ! $wc->session || ! $wc->cart || ! Connect_Hub_Settings::is_paired() ) {
			return false;
		}
		if ( null === $contact ) {
			$contact = self::known_contact();
			if ( null === $contact ) {
				return false;
			}
		} else {
			$wc->session->set( self::SESSION_CONTACT, $contact );
		}
		$cart_items = $wc->cart->get_cart();
		if ( empty( $cart_items ) ) {
			return false;
		}
		$lines   = self::lines_from_cart( $cart_items );
		$ordered = $wc->session->get( self::SESSION_ORDERED );
		if ( is_string( $ordered ) && '' !== $ordered ) {
			// The cart of an order just placed (e.g. waiting for an off-site payment) is no checkout.
			if ( self::cart_hash( $lines ) === $ordered ) {
				return false;
			}
			$wc->session->set( self::SESSION_ORDERED, null );
		}

		$state = $wc->session->get( self::SESSION_STATE );
		if ( ! is_array( $state ) || empty( $state['id'] ) ) {
			$state = array(
				'id'    => wp_generate_uuid4(),
				'token' => wp_generate_password( 32, false, false ),
				'hash'  => '',
				'last'  => 0,
			);
		}
		$now     = time();
		$payload = Connect_Hub_Payloads::checkout(
			array(
				'id'           => $state['id'],
				'status'       => 'pending',
				'email'        => $contact['email'],
				'first_name'   => $contact['first_name'],
				'last_name'    => $contact['last_name'],
				'currency'     => get_woocommerce_currency(),
				'total'        => $wc->cart->get_total( 'edit' ),
				'lines'        => $lines,
				'recovery_url' => self::recovery_url( $state['token'] ),
				'updated_at'   => $now,
			)
		);
		$hash = Connect_Hub_Payloads::content_hash( $payload );
		if ( $hash === $state['hash'] ) {
			return false;
		}

		$not_before = ( $state['last'] > 0 && $now - $state['last'] < self::debounce() ) ? $state['last'] + self::debounce() : 0;
		Connect_Hub_Sender::enqueue(
			'checkout.updated',
			$payload,
			array(
				'key'        => 'checkout:' . $state['id'],
				'not_before' => $not_before,
			)
		);
		$state['hash'] = $hash;
		$state['last'] = max( $now, $not_before );
		$wc->session->set( self::SESSION_STATE, $state );
		self::save_record( $state, $contact, $cart_items, $hash );
		return true;
	}

	/**
	 * The order is placed: stores the checkout's id on the order (`_connect_hub_checkout_id`, so the
	 * shop's order webhooks carry it in `meta_data`), queues `checkout.completed` and starts a new
	 * checkout for the session's next cart. Only for a cart that was a checkout already.
	 *
	 * @param WC_Order $order The order.
	 * @return bool Whether `checkout.completed` was queued.
	 */
	public static function complete( $order ) {
		try {
			$wc = function_exists( 'WC' ) ? WC() : null;
			if ( ! is_object( $order ) || ! $wc || ! $wc->session ) {
				return false;
			}
			$state = $wc->session->get( self::SESSION_STATE );
			if ( ! is_array( $state ) || empty( $state['id'] ) || '' !== (string) $order->get_meta( self::ORDER_META, true ) ) {
				return false;
			}
			$order->update_meta_data( self::ORDER_META, $state['id'] );
			$order->save();

			// A debounced update still waiting would only repeat older news.
			Connect_Hub_Sender::drop_pending( 'checkout:' . $state['id'] );
			Connect_Hub_Sender::enqueue( 'checkout.completed', self::completed_payload( $order, $state ) );

			$record = get_option( self::RECORD_PREFIX . $state['id'], null );
			if ( is_array( $record ) ) {
				$record['order_id'] = (int) $order->get_id();
				$record['updated']  = time();
				update_option( self::RECORD_PREFIX . $state['id'], $record, false );
			}
			$wc->session->set( self::SESSION_STATE, null );
			if ( $wc->cart ) {
				$wc->session->set( self::SESSION_ORDERED, self::cart_hash( self::lines_from_cart( $wc->cart->get_cart() ) ) );
			}
			return true;
		} catch ( \Throwable $e ) {
			Connect_Hub_Sender::log( 'error', 'Checkout completion not recorded: ' . $e->getMessage() );
			return false;
		}
	}

	/**
	 * The `checkout.completed` body for an order.
	 *
	 * @param WC_Order $order The order.
	 * @param array    $state The session's checkout state (`id`, `token`).
	 * @return array
	 */
	public static function completed_payload( $order, array $state ) {
		return Connect_Hub_Payloads::checkout(
			array(
				'id'           => $state['id'],
				'status'       => 'completed',
				'order_id'     => $order->get_id(),
				'email'        => $order->get_billing_email(),
				'first_name'   => $order->get_billing_first_name(),
				'last_name'    => $order->get_billing_last_name(),
				'currency'     => $order->get_currency(),
				'total'        => $order->get_total(),
				'lines'        => self::lines_from_order( $order ),
				'recovery_url' => empty( $state['token'] ) ? '' : self::recovery_url( $state['token'] ),
				'updated_at'   => time(),
			)
		);
	}

	/**
	 * Lines from the cart's items: unit price = line total (after discounts, before tax) / quantity,
	 * as the REST API's order line `price`.
	 *
	 * @param array $cart_items `WC()->cart->get_cart()`.
	 * @return array[]
	 */
	public static function lines_from_cart( array $cart_items ) {
		$lines = array();
		foreach ( $cart_items as $item ) {
			$product  = isset( $item['data'] ) ? $item['data'] : null;
			$quantity = (int) ( isset( $item['quantity'] ) ? $item['quantity'] : 0 );
			if ( ! is_object( $product ) || $quantity <= 0 ) {
				continue;
			}
			$price   = isset( $item['line_total'] ) ? (float) $item['line_total'] / $quantity : (float) $product->get_price();
			$lines[] = array(
				'sku'      => (string) $product->get_sku(),
				'name'     => (string) $product->get_name(),
				'quantity' => $quantity,
				'price'    => $price,
			);
		}
		return $lines;
	}

	/**
	 * Lines from the order's product items, priced like `lines_from_cart`.
	 *
	 * @param WC_Order $order The order.
	 * @return array[]
	 */
	public static function lines_from_order( $order ) {
		$lines = array();
		foreach ( $order->get_items( 'line_item' ) as $item ) {
			$quantity = (int) $item->get_quantity();
			$product  = $item->get_product();
			$lines[]  = array(
				'sku'      => $product ? (string) $product->get_sku() : '',
				'name'     => (string) $item->get_name(),
				'quantity' => $quantity,
				'price'    => $quantity > 0 ? (float) $item->get_total() / $quantity : 0.0,
			);
		}
		return $lines;
	}

	/**
	 * The recovery link: `<site>/?connect-hub-recover=<token>`.
	 *
	 * @param string $token The checkout's token.
	 * @return string
	 */
	public static function recovery_url( $token ) {
		return add_query_arg( self::QUERY_ARG, rawurlencode( $token ), home_url( '/' ) );
	}

	/**
	 * Opening the recovery link restores the checkout's cart and goes to the checkout page.
	 */
	public static function maybe_recover() {
		if ( empty( $_GET[ self::QUERY_ARG ] ) ) { // phpcs:ignore WordPress.Security.NonceVerification.Recommended -- the token is the credential.
			return;
		}
		if ( ! defined( 'DONOTCACHEPAGE' ) ) {
			define( 'DONOTCACHEPAGE', true );
		}
		nocache_headers();
		$token  = preg_replace( '/[^A-Za-z0-9]/', '', wp_unslash( (string) $_GET[ self::QUERY_ARG ] ) ); // phpcs:ignore WordPress.Security.NonceVerification.Recommended,WordPress.Security.ValidatedSanitizedInput.InputNotSanitized
		$result = self::recover( $token );
		if ( ! $result ) {
			wc_add_notice( __( 'This cart link has expired or was already used for an order.', 'connect-hub-companion' ), 'notice' );
		}
		wp_safe_redirect( $result ? wc_get_checkout_url() : wc_get_cart_url() );
		exit;
	}

	/**
	 * Restores the cart of the checkout `$token` belongs to, into the current session.
	 *
	 * @param string $token The recovery token.
	 * @return bool Whether the cart was restored.
	 */
	public static function recover( $token ) {
		$wc = function_exists( 'WC' ) ? WC() : null;
		if ( '' === (string) $token || ! $wc || ! $wc->cart || ! $wc->session ) {
			return false;
		}
		$id     = (string) get_option( self::token_option( $token ), '' );
		$record = '' === $id ? null : get_option( self::RECORD_PREFIX . $id, null );
		if ( ! is_array( $record ) || ! empty( $record['order_id'] ) ) {
			return false;
		}
		if ( method_exists( $wc->session, 'has_session' ) && ! $wc->session->has_session() ) {
			$wc->session->set_customer_session_cookie( true );
		}
		$wc->cart->empty_cart();
		foreach ( $record['cart'] as $item ) {
			$wc->cart->add_to_cart( (int) $item['product_id'], (int) $item['quantity'], (int) $item['variation_id'], (array) $item['variation'] );
		}
		$wc->session->set(
			self::SESSION_STATE,
			array(
				'id'    => $id,
				'token' => $token,
				'hash'  => isset( $record['hash'] ) ? $record['hash'] : '',
				'last'  => 0,
			)
		);
		$wc->session->set( self::SESSION_CONTACT, $record['contact'] );
		if ( $wc->customer && ! empty( $record['contact']['email'] ) && '' === (string) $wc->customer->get_billing_email() ) {
			$wc->customer->set_billing_email( $record['contact']['email'] );
			$wc->customer->set_billing_first_name( $record['contact']['first_name'] );
			$wc->customer->set_billing_last_name( $record['contact']['last_name'] );
		}
		return true;
	}

	/**
	 * Deletes checkouts (and their recovery tokens) untouched for KEEP_DAYS days, deliveries
	 * whose queued action was lost a week ago, and refused ones kept KEEP_DAYS days. Runs daily in the background.
	 *
	 * @return int How many options were deleted.
	 */
	public static function cleanup() {
		global $wpdb;
		$deleted = 0;
		$cutoff  = time() - self::KEEP_DAYS * DAY_IN_SECONDS;
		$names   = $wpdb->get_col( // phpcs:ignore WordPress.DB.DirectDatabaseQuery
			$wpdb->prepare(
				"SELECT option_name FROM {$wpdb->options} WHERE option_name LIKE %s OR option_name LIKE %s LIMIT 2000",
				$wpdb->esc_like( self::RECORD_PREFIX ) . '%',
				$wpdb->esc_like( 'connect_hub_delivery_' ) . '%'
			)
		);
		foreach ( (array) $names as $name ) {
			$value = get_option( $name, null );
			if ( 0 === strpos( $name, self::RECORD_PREFIX ) ) {
				if ( ! is_array( $value ) || empty( $value['updated'] ) || (int) $value['updated'] < $cutoff ) {
					if ( is_array( $value ) && ! empty( $value['token'] ) ) {
						delete_option( self::token_option( $value['token'] ) );
					}
					delete_option( $name );
					++$deleted;
				}
			} else {
				// One the hub refused waits for pairing again as long as a checkout is kept.
				$id   = substr( $name, strlen( 'connect_hub_delivery_' ) );
				$held = Connect_Hub_Sender::held();
				$keep = isset( $held[ $id ] ) ? $cutoff : time() - 7 * DAY_IN_SECONDS;
				if ( ! is_array( $value ) || empty( $value['created'] ) || (int) $value['created'] < $keep ) {
					delete_option( $name );
					if ( isset( $held[ $id ] ) ) {
						unset( $held[ $id ] );
						update_option( Connect_Hub_Sender::HELD_OPTION, $held, false );
						Connect_Hub_Sender::log( 'error', sprintf( 'Dropped %s, refused by the hub %d days ago and never sent: the shop was not paired again.', $value['topic'], self::KEEP_DAYS ) );
					}
					++$deleted;
				}
			}
		}
		return $deleted;
	}

	/**
	 * Schedules the daily clean-up once (checked on admin screens only).
	 */
	public static function schedule_cleanup() {
		if ( function_exists( 'as_next_scheduled_action' ) && false === as_next_scheduled_action( self::CLEANUP_HOOK, array(), Connect_Hub_Sender::GROUP ) ) {
			as_schedule_recurring_action( time() + HOUR_IN_SECONDS, DAY_IN_SECONDS, self::CLEANUP_HOOK, array(), Connect_Hub_Sender::GROUP );
		}
	}

	/**
	 * Seconds between two sends of one checkout (filter `connect_hub_checkout_debounce`).
	 *
	 * @return int
	 */
	public static function debounce() {
		return max( 0, (int) apply_filters( 'connect_hub_checkout_debounce', self::DEBOUNCE ) );
	}

	/**
	 * A contact from raw fields, or null when the e-mail is not valid.
	 *
	 * @param string $email      E-mail.
	 * @param string $first_name First name.
	 * @param string $last_name  Last name.
	 * @return array|null
	 */
	public static function contact_from_fields( $email, $first_name, $last_name ) {
		$email = sanitize_email( (string) $email );
		if ( '' === $email || ! is_email( $email ) ) {
			return null;
		}
		return array(
			'email'      => $email,
			'first_name' => sanitize_text_field( (string) $first_name ),
			'last_name'  => sanitize_text_field( (string) $last_name ),
		);
	}

	/**
	 * The session's contact, else the logged-in customer's billing e-mail, else null.
	 *
	 * @return array|null
	 */
	private static function known_contact() {
		$wc      = WC();
		$contact = $wc->session->get( self::SESSION_CONTACT );
		if ( is_array( $contact ) && ! empty( $contact['email'] ) ) {
			return $contact;
		}
		if ( $wc->customer && method_exists( $wc->customer, 'get_billing_email' ) ) {
			return self::contact_from_fields( $wc->customer->get_billing_email(), $wc->customer->get_billing_first_name(), $wc->customer->get_billing_last_name() );
		}
		return null;
	}

	/**
	 * Stores what the recovery link needs: the cart, the contact and the token's mapping.
	 *
	 * @param array  $state      The session's checkout state.
	 * @param array  $contact    The contact.
	 * @param array  $cart_items The cart's items.
	 * @param string $hash       The content hash sent last.
	 */
	private static function save_record( array $state, array $contact, array $cart_items, $hash ) {
		$cart = array();
		foreach ( $cart_items as $item ) {
			$cart[] = array(
				'product_id'   => (int) ( isset( $item['product_id'] ) ? $item['product_id'] : 0 ),
				'variation_id' => (int) ( isset( $item['variation_id'] ) ? $item['variation_id'] : 0 ),
				'variation'    => isset( $item['variation'] ) && is_array( $item['variation'] ) ? $item['variation'] : array(),
				'quantity'     => (int) ( isset( $item['quantity'] ) ? $item['quantity'] : 0 ),
			);
		}
		$existed = false !== get_option( self::RECORD_PREFIX . $state['id'], false );
		update_option(
			self::RECORD_PREFIX . $state['id'],
			array(
				'cart'     => $cart,
				'contact'  => $contact,
				'token'    => $state['token'],
				'hash'     => $hash,
				'updated'  => time(),
				'order_id' => 0,
			),
			false
		);
		if ( ! $existed ) {
			update_option( self::token_option( $state['token'] ), $state['id'], false );
		}
	}

	/**
	 * What a cart holds (SKUs, names, quantities), to recognise the cart of an order just placed.
	 *
	 * @param array $lines Lines from `lines_from_cart`.
	 * @return string
	 */
	public static function cart_hash( array $lines ) {
		$items = array();
		foreach ( $lines as $line ) {
			$items[] = array( $line['sku'], $line['name'], (int) $line['quantity'] );
		}
		return md5( (string) wp_json_encode( $items ) );
	}

	/**
	 * The option mapping a recovery token to its checkout (named by the token's hash).
	 *
	 * @param string $token The token.
	 * @return string
	 */
	public static function token_option( $token ) {
		return self::TOKEN_PREFIX . substr( hash( 'sha256', (string) $token ), 0, 40 );
	}

	/**
	 * Runs `$callback` so that no failure of ours ever breaks a shopper's request.
	 *
	 * @param callable $callback The work.
	 * @param mixed    $argument Its argument.
	 */
	private static function safely( $callback, $argument ) {
		try {
			call_user_func( $callback, $argument );
		} catch ( \Throwable $e ) {
			Connect_Hub_Sender::log( 'error', 'Checkout not recorded: ' . $e->getMessage() );
		}
	}
}
