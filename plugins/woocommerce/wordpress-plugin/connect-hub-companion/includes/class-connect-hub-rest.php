<?php
/**
 * The REST routes the hub calls, under `/wp-json/connect-hub/v1/`, authenticated with the shop's
 * WooCommerce API key (WooCommerce only checks API keys on requests it counts as REST API
 * requests, hence the `woocommerce_rest_is_request_to_rest_api` filter).
 *
 * - GET  /status                      version, pairing state, the secret's fingerprint (edit_shop_orders)
 * - GET  /orders/{id}/shipments       the order's shipments (edit_shop_orders)
 * - POST /orders/{id}/shipments       adds a hub shipment, idempotent by external_id (edit_shop_orders)
 * - POST /pair                        stores hub_url and secret given a valid pairing code (manage_woocommerce)
 *
 * @package Connect_Hub_Companion
 */

defined( 'ABSPATH' ) || exit;

/**
 * REST routes.
 */
class Connect_Hub_Rest {

	const NAMESPACE_V1 = 'connect-hub/v1';

	/**
	 * Hooks the routes and the API-key authentication.
	 */
	public static function init() {
		add_filter( 'woocommerce_rest_is_request_to_rest_api', array( __CLASS__, 'is_request_to_rest_api' ) );
		add_action( 'rest_api_init', array( __CLASS__, 'register_routes' ) );
	}

	/**
	 * Lets WooCommerce authenticate API keys on our routes too.
	 *
	 * @param bool $is_rest_api_request WooCommerce's own answer.
	 * @return bool
	 */
	public static function is_request_to_rest_api( $is_rest_api_request ) {
		if ( $is_rest_api_request ) {
			return true;
		}
		$uri = isset( $_SERVER['REQUEST_URI'] ) ? wp_unslash( (string) $_SERVER['REQUEST_URI'] ) : ''; // phpcs:ignore WordPress.Security.ValidatedSanitizedInput.InputNotSanitized
		if ( '' !== $uri ) {
			$prefix = '/' . trim( rest_get_url_prefix(), '/' ) . '/' . self::NAMESPACE_V1 . '/';
			$path   = (string) wp_parse_url( $uri, PHP_URL_PATH );
			if ( false !== strpos( $path, $prefix ) ) {
				return true;
			}
		}
		// Sites without pretty permalinks: /?rest_route=/connect-hub/v1/...
		if ( isset( $_GET['rest_route'] ) ) { // phpcs:ignore WordPress.Security.NonceVerification.Recommended
			$route = '/' . ltrim( wp_unslash( (string) $_GET['rest_route'] ), '/' ); // phpcs:ignore WordPress.Security.NonceVerification.Recommended,WordPress.Security.ValidatedSanitizedInput.InputNotSanitized
			return 0 === strpos( $route, '/' . self::NAMESPACE_V1 . '/' );
		}
		return false;
	}

	/**
	 * Registers the routes.
	 */
	public static function register_routes() {
		register_rest_route(
			self::NAMESPACE_V1,
			'/status',
			array(
				'methods'             => 'GET',
				'callback'            => array( __CLASS__, 'get_status' ),
				'permission_callback' => array( __CLASS__, 'can_edit_orders' ),
			)
		);
		register_rest_route(
			self::NAMESPACE_V1,
			'/orders/(?P<id>\d+)/shipments',
			array(
				array(
					'methods'             => 'GET',
					'callback'            => array( __CLASS__, 'get_shipments' ),
					'permission_callback' => array( __CLASS__, 'can_edit_orders' ),
				),
				array(
					'methods'             => 'POST',
					'callback'            => array( __CLASS__, 'create_shipment' ),
					'permission_callback' => array( __CLASS__, 'can_edit_orders' ),
				),
			)
		);
		register_rest_route(
			self::NAMESPACE_V1,
			'/pair',
			array(
				'methods'             => 'POST',
				'callback'            => array( __CLASS__, 'pair' ),
				'permission_callback' => array( __CLASS__, 'can_manage_woocommerce' ),
			)
		);
	}

	/**
	 * Orders: `edit_shop_orders` (shop managers and administrators).
	 *
	 * @return true|WP_Error
	 */
	public static function can_edit_orders() {
		return self::require_capability( 'edit_shop_orders' );
	}

	/**
	 * Pairing: `manage_woocommerce`.
	 *
	 * @return true|WP_Error
	 */
	public static function can_manage_woocommerce() {
		return self::require_capability( 'manage_woocommerce' );
	}

	/**
	 * GET /status.
	 *
	 * @return WP_REST_Response
	 */
	public static function get_status() {
		return self::respond(
			array(
				'plugin'      => 'connect-hub-companion',
				'version'     => CONNECT_HUB_COMPANION_VERSION,
				'paired'      => Connect_Hub_Settings::is_paired(),
				'hub_url'     => Connect_Hub_Settings::hub_url(),
				'woocommerce'        => defined( 'WC_VERSION' ) ? WC_VERSION : '',
				// Tells the hub whether the plugin has its secret, without telling the secret.
				'secret_fingerprint' => Connect_Hub_Settings::secret_fingerprint(),
			)
		);
	}

	/**
	 * GET /orders/{id}/shipments.
	 *
	 * @param WP_REST_Request $request The request.
	 * @return WP_REST_Response|WP_Error
	 */
	public static function get_shipments( $request ) {
		$order = self::order( $request );
		if ( is_wp_error( $order ) ) {
			return $order;
		}
		return self::respond( array_map( array( 'Connect_Hub_Shipments', 'to_rest' ), Connect_Hub_Shipments::all( $order ) ) );
	}

	/**
	 * POST /orders/{id}/shipments `{"provider", "tracking_number", "tracking_url", "external_id"}`:
	 * 201 with the new shipment (source "hub"); 200 with the existing one when `external_id` was
	 * seen before (without `external_id`: a hub shipment with the same provider and tracking number). Changes nothing else on the order (no status, no note).
	 *
	 * @param WP_REST_Request $request The request.
	 * @return WP_REST_Response|WP_Error
	 */
	public static function create_shipment( $request ) {
		$order = self::order( $request );
		if ( is_wp_error( $order ) ) {
			return $order;
		}
		$fields = Connect_Hub_Shipments::sanitize(
			array(
				'provider'        => $request->get_param( 'provider' ),
				'tracking_number' => $request->get_param( 'tracking_number' ),
				'tracking_url'    => $request->get_param( 'tracking_url' ),
				'external_id'     => $request->get_param( 'external_id' ),
			)
		);
		if ( '' === $fields['tracking_number'] ) {
			return new WP_Error( 'connect_hub_invalid_shipment', __( 'tracking_number is required.', 'connect-hub-companion' ), array( 'status' => 400 ) );
		}
		$raw_url = $request->get_param( 'tracking_url' );
		if ( is_string( $raw_url ) && '' !== trim( $raw_url ) && '' === $fields['tracking_url'] ) {
			return new WP_Error( 'connect_hub_invalid_shipment', __( 'tracking_url must be an http or https address.', 'connect-hub-companion' ), array( 'status' => 400 ) );
		}
		$existing = Connect_Hub_Shipments::find_existing( $order, $fields );
		if ( null !== $existing ) {
			return self::respond( Connect_Hub_Shipments::to_rest( $existing ), 200 );
		}
		$shipment = Connect_Hub_Shipments::add( $order, $fields, 'hub' );
		return self::respond( Connect_Hub_Shipments::to_rest( $shipment ), 201 );
	}

	/**
	 * POST /pair `{"code", "hub_url", "secret"}`: a valid, unexpired code stores the hub's URL and
	 * secret, and is burnt.
	 *
	 * @param WP_REST_Request $request The request.
	 * @return WP_REST_Response|WP_Error
	 */
	public static function pair( $request ) {
		$code    = $request->get_param( 'code' );
		$hub_url = Connect_Hub_Settings::sanitize_hub_url( $request->get_param( 'hub_url' ) );
		$secret  = $request->get_param( 'secret' );
		if ( ! is_string( $code ) || '' === $code || '' === $hub_url || ! is_string( $secret ) || '' === trim( $secret ) ) {
			return new WP_Error( 'connect_hub_pairing_invalid_request', __( 'code, hub_url (http or https) and secret are required.', 'connect-hub-companion' ), array( 'status' => 400 ) );
		}
		if ( ! Connect_Hub_Pairing::consume( $code ) ) {
			return new WP_Error( 'connect_hub_pairing_invalid_code', __( 'The pairing code is wrong, expired or used already. Show a new one on WooCommerce > Settings > Advanced > Connect Hub.', 'connect-hub-companion' ), array( 'status' => 403 ) );
		}
		Connect_Hub_Settings::save( $hub_url, $secret );
		Connect_Hub_Sender::release_held(); // Also when the values did not change (no option hook then).
		return self::respond(
			array(
				'paired'  => true,
				'hub_url' => $hub_url,
				'version' => CONNECT_HUB_COMPANION_VERSION,
			)
		);
	}

	/**
	 * The order in the route, or a 404.
	 *
	 * @param WP_REST_Request $request The request.
	 * @return WC_Order|WP_Error
	 */
	private static function order( $request ) {
		$order = wc_get_order( absint( $request->get_param( 'id' ) ) );
		if ( ! $order || 'shop_order' !== $order->get_type() ) {
			return new WP_Error( 'connect_hub_order_not_found', __( 'No such order.', 'connect-hub-companion' ), array( 'status' => 404 ) );
		}
		return $order;
	}

	/**
	 * True with the capability; else 401 (not logged in / no valid key) or 403.
	 *
	 * @param string $capability The capability.
	 * @return true|WP_Error
	 */
	private static function require_capability( $capability ) {
		if ( current_user_can( $capability ) ) {
			return true;
		}
		return new WP_Error(
			'connect_hub_forbidden',
			/* translators: %s: a capability */
			sprintf( __( 'This needs a WooCommerce API key of a user who can %s.', 'connect-hub-companion' ), $capability ),
			array( 'status' => is_user_logged_in() ? 403 : 401 )
		);
	}

	/**
	 * A response that no cache keeps.
	 *
	 * @param mixed $data   The body.
	 * @param int   $status The status.
	 * @return WP_REST_Response
	 */
	private static function respond( $data, $status = 200 ) {
		nocache_headers();
		$response = new WP_REST_Response( $data, $status );
		$response->set_headers( wp_get_nocache_headers() );
		return $response;
	}
}
