<?php
/**
 * Settings: the hub's delivery URL and the shared secret, on WooCommerce > Settings > Advanced >
 * Connect Hub, with the pairing code the hub's `onboard` can use instead.
 *
 * @package Connect_Hub_Companion
 */

defined( 'ABSPATH' ) || exit;

/**
 * Options and the settings screen.
 */
class Connect_Hub_Settings {

	const OPTION_HUB_URL = 'connect_hub_hub_url';
	const OPTION_SECRET  = 'connect_hub_secret';
	const SECTION        = 'connect_hub';

	/**
	 * Hooks the settings screen.
	 */
	public static function init() {
		add_filter( 'woocommerce_get_sections_advanced', array( __CLASS__, 'add_section' ) );
		add_filter( 'woocommerce_get_settings_advanced', array( __CLASS__, 'settings' ), 10, 2 );
		add_action( 'woocommerce_admin_field_connect_hub_pairing', array( __CLASS__, 'render_pairing' ) );
		add_filter( 'woocommerce_admin_settings_sanitize_option_' . self::OPTION_HUB_URL, array( __CLASS__, 'sanitize_hub_url' ) );
		add_action( 'admin_init', array( __CLASS__, 'maybe_new_pairing_code' ) );
	}

	/**
	 * The hub's delivery URL, e.g. `https://hub.example/webhooks/shop` ('' when not set).
	 *
	 * @return string
	 */
	public static function hub_url() {
		return trim( (string) get_option( self::OPTION_HUB_URL, '' ) );
	}

	/**
	 * The shared secret that signs every request to the hub ('' when not set).
	 *
	 * @return string
	 */
	public static function secret() {
		return (string) get_option( self::OPTION_SECRET, '' );
	}

	/**
	 * Whether the hub's URL and the secret are both known.
	 *
	 * @return bool
	 */
	public static function is_paired() {
		return '' !== self::hub_url() && '' !== self::secret();
	}

	/**
	 * Stores the hub's URL (autoloaded: read on every delivery) and the secret (not autoloaded).
	 *
	 * @param string $hub_url The hub's delivery URL.
	 * @param string $secret  The shared secret.
	 */
	public static function save( $hub_url, $secret ) {
		update_option( self::OPTION_HUB_URL, $hub_url );
		update_option( self::OPTION_SECRET, $secret, false );
	}

	/**
	 * A valid http(s) URL, or '' for anything else.
	 *
	 * @param mixed $value The submitted value.
	 * @return string
	 */
	public static function sanitize_hub_url( $value ) {
		$value = trim( (string) $value );
		if ( '' === $value || ! preg_match( '#^https?://[^\s/?\#]+#i', $value ) ) {
			return '';
		}
		return esc_url_raw( $value, array( 'http', 'https' ) );
	}

	/**
	 * Adds "Connect Hub" to the Advanced tab's sections.
	 *
	 * @param array $sections The sections.
	 * @return array
	 */
	public static function add_section( $sections ) {
		$sections[ self::SECTION ] = __( 'Connect Hub', 'connect-hub-companion' );
		return $sections;
	}

	/**
	 * The section's fields.
	 *
	 * @param array  $settings        The Advanced tab's settings.
	 * @param string $current_section The section shown.
	 * @return array
	 */
	public static function settings( $settings, $current_section = '' ) {
		if ( self::SECTION !== $current_section ) {
			return $settings;
		}
		return array(
			array(
				'title' => __( 'Connect Hub', 'connect-hub-companion' ),
				'type'  => 'title',
				'desc'  => __( 'Checkouts and shipments are sent to the hub in the background, signed with the shared secret. Pair with the code below, or enter the hub\'s URL and secret yourself.', 'connect-hub-companion' ),
				'id'    => 'connect_hub_settings',
			),
			array(
				'type'      => 'connect_hub_pairing',
				'id'        => 'connect_hub_pairing_display',
				'is_option' => false, // Display only: the settings form must never save over the code.
			),
			array(
				'title'       => __( 'Hub URL', 'connect-hub-companion' ),
				'desc'        => __( 'The hub\'s webhook address for this shop, e.g. https://hub.example/webhooks/shop', 'connect-hub-companion' ),
				'id'          => self::OPTION_HUB_URL,
				'type'        => 'text',
				'default'     => '',
				'placeholder' => 'https://hub.example/webhooks/shop',
				'css'         => 'min-width: 400px;',
			),
			array(
				'title'    => __( 'Shared secret', 'connect-hub-companion' ),
				'desc'     => __( 'The same secret as the hub\'s webhook secret for this shop.', 'connect-hub-companion' ),
				'id'       => self::OPTION_SECRET,
				'type'     => 'password',
				'default'  => '',
				'autoload' => false,
			),
			array(
				'type' => 'sectionend',
				'id'   => 'connect_hub_settings',
			),
		);
	}

	/**
	 * Shows the pairing state and a one-time code for `connect-hub onboard`.
	 */
	public static function render_pairing() {
		$code     = Connect_Hub_Pairing::current_code();
		$new_link = wp_nonce_url( add_query_arg( 'connect_hub_new_code', '1' ), 'connect_hub_new_code' );
		echo '<tr valign="top"><th scope="row" class="titledesc">' . esc_html__( 'Pairing', 'connect-hub-companion' ) . '</th><td class="forminp">';
		if ( self::is_paired() ) {
			/* translators: %s: the hub's URL */
			echo '<p>' . esc_html( sprintf( __( 'Paired with %s.', 'connect-hub-companion' ), self::hub_url() ) ) . '</p>';
		} else {
			echo '<p>' . esc_html__( 'Not paired yet.', 'connect-hub-companion' ) . '</p>';
		}
		echo '<p>' . esc_html__( 'Pairing code:', 'connect-hub-companion' ) . ' <code style="font-size:1.3em">' . esc_html( $code['code'] ) . '</code> ';
		/* translators: %s: time until the code expires */
		echo esc_html( sprintf( __( '(valid for %s, once)', 'connect-hub-companion' ), human_time_diff( time(), (int) $code['expires'] ) ) );
		echo ' <a href="' . esc_url( $new_link ) . '">' . esc_html__( 'New code', 'connect-hub-companion' ) . '</a></p>';
		echo '<p class="description">' . esc_html__( 'Give this code to the hub\'s onboard command, with a WooCommerce API key (read/write) of a shop manager or administrator.', 'connect-hub-companion' ) . '</p>';
		echo '</td></tr>';
	}

	/**
	 * "New code" link on the settings screen.
	 */
	public static function maybe_new_pairing_code() {
		if ( ! isset( $_GET['connect_hub_new_code'] ) || ! current_user_can( 'manage_woocommerce' ) ) {
			return;
		}
		check_admin_referer( 'connect_hub_new_code' );
		Connect_Hub_Pairing::new_code();
		wp_safe_redirect( remove_query_arg( array( 'connect_hub_new_code', '_wpnonce' ) ) );
		exit;
	}
}
