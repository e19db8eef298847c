<?php
/**
 * A small stand-in for WordPress and WooCommerce: just the functions and classes the companion
 * plugin calls, recording what it does (options, queued actions, HTTP requests, logs...) in
 * Stubs so the tests can look. Stubs::reset() starts every test from a blank shop.
 */

error_reporting( E_ALL );

define( 'ABSPATH', __DIR__ . '/' );
define( 'HOUR_IN_SECONDS', 3600 );
define( 'DAY_IN_SECONDS', 86400 );
define( 'WC_VERSION', '9.9.5' );

// phpcs:disable

final class Stubs {
	public static $options = array();
	public static $autoload = array();
	public static $actions = array();
	public static $filters = array();
	public static $async = array();
	public static $scheduled = array();
	public static $http = array();
	public static $responses = array();
	public static $logs = array();
	public static $caps = array();
	public static $logged_in = false;
	public static $routes = array();
	public static $orders = array();
	public static $meta_boxes = array();
	public static $nonces_valid = true;
	public static $wc = null;
	public static $notices = array();
	public static $transients = array();
	public static $admin_errors = array();
	public static $settings_errors = array();
	public static $dispatches = 0;
	public static $due = true;
	public static $user_id = 0;

	public static function reset() {
		self::$options = array();
		self::$autoload = array();
		self::$actions = array();
		self::$filters = array();
		self::$async = array();
		self::$scheduled = array();
		self::$http = array();
		self::$responses = array();
		self::$logs = array();
		self::$caps = array();
		self::$logged_in = false;
		self::$routes = array();
		self::$orders = array();
		self::$meta_boxes = array();
		self::$nonces_valid = true;
		self::$notices = array();
		self::$transients = array();
		self::$admin_errors = array();
		self::$settings_errors = array();
		self::$dispatches = 0;
		self::$due = true;
		self::$user_id = 0;
		self::$wc = new Fake_WC();
		if ( class_exists( 'Connect_Hub_Sender', false ) && property_exists( 'Connect_Hub_Sender', 'due_now' ) ) { // A new request: nothing queued in it yet.
			$due = new ReflectionProperty( 'Connect_Hub_Sender', 'due_now' );
			$due->setAccessible( true );
			$due->setValue( null, false );
		}
		$_POST = array();
		$_GET = array();
		unset( $_SERVER['REQUEST_URI'] );
	}

	/** Pair the shop with a hub, as the settings screen or /pair would. */
	public static function pair( $url = 'https://hub.example/webhooks/shop', $secret = 'verify-secret-123' ) {
		update_option( 'connect_hub_hub_url', $url );
		update_option( 'connect_hub_secret', $secret, false );
	}
}

// ---- hooks ---------------------------------------------------------------------------------
function add_action( $hook, $callback, $priority = 10, $args = 1 ) {
	Stubs::$actions[ $hook ][] = array( $callback, $priority, $args );
	return true;
}
function add_filter( $hook, $callback, $priority = 10, $args = 1 ) {
	Stubs::$filters[ $hook ][] = array( $callback, $priority, $args );
	return true;
}
function apply_filters( $hook, $value, ...$args ) {
	foreach ( isset( Stubs::$filters[ $hook ] ) ? Stubs::$filters[ $hook ] : array() as $filter ) {
		$value = call_user_func_array( $filter[0], array_slice( array_merge( array( $value ), $args ), 0, $filter[2] ) );
	}
	return $value;
}
// Callbacks run by priority, then in the order they were added, as in WordPress.
function do_action( $hook, ...$args ) {
	$actions = isset( Stubs::$actions[ $hook ] ) ? Stubs::$actions[ $hook ] : array();
	$order   = array_keys( $actions );
	usort(
		$order,
		function ( $a, $b ) use ( $actions ) {
			return array( $actions[ $a ][1], $a ) <=> array( $actions[ $b ][1], $b );
		}
	);
	foreach ( array_map( function ( $i ) use ( $actions ) { return $actions[ $i ]; }, $order ) as $action ) {
		call_user_func_array( $action[0], array_slice( $args, 0, $action[2] ) );
	}
}

// ---- options -------------------------------------------------------------------------------
function get_option( $name, $default = false ) {
	return array_key_exists( $name, Stubs::$options ) ? Stubs::$options[ $name ] : $default;
}
// As WordPress: `add_option_{name}` for a new option, `update_option_{name}` for a changed one.
function update_option( $name, $value, $autoload = null ) {
	$existed = array_key_exists( $name, Stubs::$options );
	$old     = $existed ? Stubs::$options[ $name ] : false;
	if ( $existed && $old === $value ) {
		return false;
	}
	Stubs::$options[ $name ] = $value;
	if ( null !== $autoload || ! isset( Stubs::$autoload[ $name ] ) ) {
		Stubs::$autoload[ $name ] = ( null === $autoload ) ? true : (bool) $autoload;
	}
	if ( $existed ) {
		do_action( 'update_option_' . $name, $old, $value, $name );
	} else {
		do_action( 'add_option_' . $name, $name, $value );
	}
	return true;
}
function get_transient( $name ) {
	return array_key_exists( $name, Stubs::$transients ) ? Stubs::$transients[ $name ] : false;
}
function set_transient( $name, $value, $expiration = 0 ) {
	Stubs::$transients[ $name ] = $value;
	return true;
}
function delete_transient( $name ) {
	unset( Stubs::$transients[ $name ] );
	return true;
}
function delete_option( $name ) {
	unset( Stubs::$options[ $name ], Stubs::$autoload[ $name ] );
	return true;
}

// ---- Action Scheduler and cron -------------------------------------------------------------
function as_enqueue_async_action( $hook, $args = array(), $group = '' ) {
	Stubs::$async[] = array( 'hook' => $hook, 'args' => $args, 'group' => $group );
	return count( Stubs::$async );
}
function as_schedule_single_action( $timestamp, $hook, $args = array(), $group = '' ) {
	Stubs::$scheduled[] = array( 'timestamp' => $timestamp, 'hook' => $hook, 'args' => $args, 'group' => $group );
	return count( Stubs::$scheduled );
}
function as_next_scheduled_action( $hook, $args = null, $group = '' ) {
	return false;
}
function as_schedule_recurring_action( $timestamp, $interval, $hook, $args = array(), $group = '' ) {
	Stubs::$scheduled[] = array( 'timestamp' => $timestamp, 'interval' => $interval, 'hook' => $hook, 'args' => $args, 'group' => $group );
	return count( Stubs::$scheduled );
}
function wp_schedule_single_event( $timestamp, $hook, $args = array() ) {
	throw new LogicException( 'the plugin should use Action Scheduler' );
}

// ---- HTTP ----------------------------------------------------------------------------------
function wp_remote_post( $url, $args = array() ) {
	Stubs::$http[] = array( 'url' => $url, 'args' => $args );
	$response = array_shift( Stubs::$responses );
	return null === $response ? array( 'response' => array( 'code' => 202 ), 'body' => '' ) : $response;
}
function wp_remote_retrieve_response_code( $response ) {
	return is_array( $response ) && isset( $response['response']['code'] ) ? $response['response']['code'] : '';
}
function is_wp_error( $thing ) {
	return $thing instanceof WP_Error;
}

class WP_Error {
	public $code;
	public $message;
	public $data;
	public function __construct( $code = '', $message = '', $data = '' ) {
		$this->code = $code;
		$this->message = $message;
		$this->data = $data;
	}
	public function get_error_code() {
		return $this->code;
	}
	public function get_error_message() {
		return $this->message;
	}
	public function get_error_data() {
		return $this->data;
	}
}

// ---- logging -------------------------------------------------------------------------------
class Fake_Logger {
	public function log( $level, $message, $context = array() ) {
		Stubs::$logs[] = array( 'level' => $level, 'message' => $message, 'context' => $context );
	}
}
function wc_get_logger() {
	return new Fake_Logger();
}

// ---- REST ----------------------------------------------------------------------------------
function register_rest_route( $namespace, $route, $args = array() ) {
	Stubs::$routes[ '/' . $namespace . $route ] = $args;
	return true;
}
function rest_get_url_prefix() {
	return 'wp-json';
}
class WP_REST_Request {
	private $params;
	public function __construct( array $params = array() ) {
		$this->params = $params;
	}
	public function get_param( $key ) {
		return isset( $this->params[ $key ] ) ? $this->params[ $key ] : null;
	}
}
class WP_REST_Response {
	public $data;
	public $status;
	public $headers = array();
	public function __construct( $data = null, $status = 200 ) {
		$this->data = $data;
		$this->status = $status;
	}
	public function set_headers( $headers ) {
		$this->headers = $headers;
	}
	public function get_data() {
		return $this->data;
	}
	public function get_status() {
		return $this->status;
	}
}
function nocache_headers() {
}
function wp_get_nocache_headers() {
	return array( 'Cache-Control' => 'no-cache, must-revalidate, max-age=0, no-store, private', 'Expires' => 'Wed, 11 Jan 1984 05:00:00 GMT' );
}

// ---- users ---------------------------------------------------------------------------------
function current_user_can( $capability ) {
	return in_array( $capability, Stubs::$caps, true );
}
function is_user_logged_in() {
	return Stubs::$logged_in;
}
function wp_verify_nonce( $nonce, $action ) {
	return Stubs::$nonces_valid && 'nonce-' . $action === $nonce ? 1 : false;
}
function wp_nonce_field( $action, $name ) {
	echo '<input type="hidden" name="' . $name . '" value="nonce-' . $action . '">';
}
function get_current_user_id() {
	return Stubs::$user_id;
}
function is_admin() {
	return false;
}
function wp_doing_ajax() {
	return false;
}

// ---- formatting ----------------------------------------------------------------------------
function __( $text, $domain = '' ) {
	return $text;
}
function _n( $single, $plural, $number, $domain = '' ) {
	return 1 === (int) $number ? $single : $plural;
}
function esc_html__( $text, $domain = '' ) {
	return esc_html( $text );
}
function esc_html( $text ) {
	return htmlspecialchars( (string) $text, ENT_QUOTES, 'UTF-8' );
}
function esc_attr( $text ) {
	return esc_html( $text );
}
function esc_url( $url ) {
	return preg_match( '#^https?://#i', (string) $url ) ? esc_html( $url ) : '';
}
function esc_url_raw( $url, $protocols = null ) {
	return preg_match( '#^https?://#i', (string) $url ) ? str_replace( array( ' ', '"', '<', '>' ), array( '%20', '', '', '' ), (string) $url ) : '';
}
function sanitize_text_field( $text ) {
	return trim( preg_replace( '/[\r\n\t ]+/', ' ', strip_tags( (string) $text ) ) );
}
function sanitize_email( $email ) {
	return preg_replace( '/[^a-z0-9@._+\-]/i', '', (string) $email );
}
function is_email( $email ) {
	return false !== filter_var( $email, FILTER_VALIDATE_EMAIL );
}
function sanitize_key( $key ) {
	return preg_replace( '/[^a-z0-9_\-]/', '', strtolower( (string) $key ) );
}
function wp_unslash( $value ) {
	return is_array( $value ) ? array_map( 'wp_unslash', $value ) : stripslashes( (string) $value );
}
function wp_kses_post( $html ) {
	return $html;
}
function wp_strip_all_tags( $text ) {
	return trim( strip_tags( (string) $text ) );
}
function wp_specialchars_decode( $text, $quote_style = ENT_NOQUOTES ) {
	return htmlspecialchars_decode( (string) $text, $quote_style );
}
function wp_json_encode( $data, $options = 0, $depth = 512 ) {
	return json_encode( $data, $options, $depth );
}
function wp_parse_url( $url, $component = -1 ) {
	return parse_url( $url, $component );
}
function absint( $value ) {
	return abs( (int) $value );
}
function wp_generate_uuid4() {
	$bytes = random_bytes( 16 );
	$bytes[6] = chr( ord( $bytes[6] ) & 0x0f | 0x40 );
	$bytes[8] = chr( ord( $bytes[8] ) & 0x3f | 0x80 );
	return vsprintf( '%s%s-%s-%s-%s-%s%s%s', str_split( bin2hex( $bytes ), 4 ) );
}
function wp_generate_password( $length = 12, $special = true, $extra = false ) {
	$chars = 'abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789';
	$out = '';
	for ( $i = 0; $i < $length; $i++ ) {
		$out .= $chars[ random_int( 0, strlen( $chars ) - 1 ) ];
	}
	return $out;
}
function home_url( $path = '' ) {
	return 'https://shop.example' . $path;
}
function add_query_arg( $key, $value, $url = 'https://shop.example/wp-admin/admin.php?page=wc-settings&tab=advanced&section=connect_hub' ) {
	return $url . ( false === strpos( $url, '?' ) ? '?' : '&' ) . $key . '=' . $value;
}

function admin_url( $path = '' ) {
	return 'https://shop.example/wp-admin/' . $path;
}
function human_time_diff( $from, $to = 0 ) {
	return '1 hour';
}
// The shop's time zone is Europe/Amsterdam (UTC+1 in winter), its formats WordPress's defaults.
function wp_date( $format, $timestamp = null ) {
	$date = new DateTime( '@' . (int) $timestamp );
	$date->setTimezone( new DateTimeZone( 'Europe/Amsterdam' ) );
	return $date->format( $format );
}
function wp_nonce_url( $url, $action = -1 ) {
	return $url . '&_wpnonce=nonce-' . $action;
}

// ---- Action Scheduler's async request (runs the queue in a loopback request) -----------------
class ActionScheduler_Store {
	public function has_pending_actions_due() {
		return Stubs::$due;
	}
}
class ActionScheduler {
	public static function store() {
		return new ActionScheduler_Store();
	}
}
class ActionScheduler_AsyncRequest_QueueRunner {
	private $store;
	public function __construct( ActionScheduler_Store $store ) {
		$this->store = $store;
	}
	public function maybe_dispatch() {
		if ( $this->store->has_pending_actions_due() ) {
			++Stubs::$dispatches;
		}
	}
}

// ---- WooCommerce admin messages --------------------------------------------------------------
class WC_Admin_Meta_Boxes {
	public static function add_error( $text ) {
		Stubs::$admin_errors[] = $text;
	}
}
class WC_Admin_Settings {
	public static function add_error( $text ) {
		Stubs::$settings_errors[] = $text;
	}
}

// ---- WooCommerce ---------------------------------------------------------------------------
function wc_get_price_decimals() {
	return 2;
}
function get_woocommerce_currency() {
	return 'EUR';
}
function wc_get_order( $id ) {
	return isset( Stubs::$orders[ (int) $id ] ) ? Stubs::$orders[ (int) $id ] : false;
}
function wc_get_page_screen_id( $for ) {
	return 'woocommerce_page_wc-orders';
}
function add_meta_box( $id, $title, $callback, $screen = null, $context = 'advanced', $priority = 'default' ) {
	Stubs::$meta_boxes[] = compact( 'id', 'title', 'callback', 'screen', 'context', 'priority' );
}
function wc_add_notice( $message, $type = 'success' ) {
	Stubs::$notices[] = array( $message, $type );
}
function WC() {
	return Stubs::$wc;
}

class WooCommerce {
}

class Fake_Product {
	private $sku;
	private $name;
	private $price;
	public function __construct( $sku, $name, $price ) {
		$this->sku = $sku;
		$this->name = $name;
		$this->price = $price;
	}
	public function get_sku() {
		return $this->sku;
	}
	public function get_name() {
		return $this->name;
	}
	public function get_price() {
		return $this->price;
	}
}

class Fake_Order_Item {
	private $product;
	private $name;
	private $quantity;
	private $total;
	public function __construct( $product, $name, $quantity, $total ) {
		$this->product = $product;
		$this->name = $name;
		$this->quantity = $quantity;
		$this->total = $total;
	}
	public function get_product() {
		return $this->product;
	}
	public function get_name() {
		return $this->name;
	}
	public function get_quantity() {
		return $this->quantity;
	}
	public function get_total() {
		return $this->total;
	}
}

class Fake_Order {
	public $id;
	public $status = 'processing';
	public $type = 'shop_order';
	public $meta = array();
	public $saves = 0;
	public $items = array();
	public $billing = array( 'email' => 'jane@example.test', 'first_name' => 'Jane', 'last_name' => 'Doe' );
	public $currency = 'EUR';
	public $total = '12.50';
	public $notes = array();
	public function __construct( $id ) {
		$this->id = $id;
	}
	public function get_id() {
		return $this->id;
	}
	public function get_order_number() {
		return (string) $this->id;
	}
	public function get_type() {
		return $this->type;
	}
	public function get_status() {
		return $this->status;
	}
	public function get_meta( $key, $single = true ) {
		return isset( $this->meta[ $key ] ) ? $this->meta[ $key ] : '';
	}
	public function update_meta_data( $key, $value ) {
		$this->meta[ $key ] = $value;
	}
	public function save() {
		++$this->saves;
		return $this->id;
	}
	public function add_order_note( $note, $is_customer_note = 0, $added_by_user = false ) {
		$this->notes[] = array( 'note' => $note, 'customer' => (bool) $is_customer_note );
		return count( $this->notes );
	}
	public function get_items( $type = 'line_item' ) {
		return $this->items;
	}
	public function get_billing_email() {
		return $this->billing['email'];
	}
	public function get_billing_first_name() {
		return $this->billing['first_name'];
	}
	public function get_billing_last_name() {
		return $this->billing['last_name'];
	}
	public function get_currency() {
		return $this->currency;
	}
	public function get_total() {
		return $this->total;
	}
}

class Fake_Session {
	public $data = array();
	public $started = false;
	public function get( $key, $default = null ) {
		return array_key_exists( $key, $this->data ) ? $this->data[ $key ] : $default;
	}
	public function set( $key, $value ) {
		$this->data[ $key ] = $value;
	}
	public function has_session() {
		return $this->started;
	}
	public function set_customer_session_cookie( $set ) {
		$this->started = true;
	}
}

class Fake_Cart {
	public $items = array();
	public $total = 0.0;
	public $added = array();
	public function get_cart() {
		return $this->items;
	}
	public function get_total( $context = 'view' ) {
		return $this->total;
	}
	public function empty_cart() {
		$this->items = array();
		$this->added = array();
	}
	public function add_to_cart( $product_id, $quantity = 1, $variation_id = 0, $variation = array() ) {
		$this->added[] = array( $product_id, $quantity, $variation_id, $variation );
		return md5( (string) count( $this->added ) );
	}
	/** A cart line as WooCommerce keeps it. */
	public function put( $product_id, $sku, $name, $quantity, $line_total, $variation_id = 0, $variation = array() ) {
		$this->items[ md5( $product_id . '-' . $variation_id ) ] = array(
			'product_id' => $product_id,
			'variation_id' => $variation_id,
			'variation' => $variation,
			'quantity' => $quantity,
			'line_total' => $line_total,
			'data' => new Fake_Product( $sku, $name, $line_total / $quantity ),
		);
	}
}

class Fake_Customer {
	public $billing = array( 'email' => '', 'first_name' => '', 'last_name' => '' );
	public function get_billing_email() {
		return $this->billing['email'];
	}
	public function get_billing_first_name() {
		return $this->billing['first_name'];
	}
	public function get_billing_last_name() {
		return $this->billing['last_name'];
	}
	public function set_billing_email( $v ) {
		$this->billing['email'] = $v;
	}
	public function set_billing_first_name( $v ) {
		$this->billing['first_name'] = $v;
	}
	public function set_billing_last_name( $v ) {
		$this->billing['last_name'] = $v;
	}
}

class Fake_WC {
	public $session;
	public $cart;
	public $customer;
	public function __construct() {
		$this->session = new Fake_Session();
		$this->cart = new Fake_Cart();
		$this->customer = new Fake_Customer();
	}
}

class WP_Post {
	public $ID;
	public function __construct( $id ) {
		$this->ID = $id;
	}
}

/** A test case that starts from a blank, unpaired shop. */
abstract class Connect_Hub_Test_Case extends PHPUnit\Framework\TestCase {
	protected function setUp(): void {
		Stubs::reset();
	}

	/** The queued action's delivery, as the worker will read it. */
	protected function delivery( array $action ) {
		return get_option( Connect_Hub_Sender::delivery_option( $action['args'][0] ), null );
	}
}

// phpcs:enable

Stubs::reset();
require dirname( __DIR__, 2 ) . '/wordpress-plugin/connect-hub-companion/connect-hub-companion.php';
