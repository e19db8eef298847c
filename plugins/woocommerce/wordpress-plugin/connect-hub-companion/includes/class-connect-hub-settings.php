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
		add_action( 'woocommerce_admin_field_connect_hub_secret', array( __CLASS__, 'render_secret' ) );
		add_filter( 'woocommerce_admin_settings_sanitize_option_' . self::OPTION_HUB_URL, array( __CLASS__, 'sanitize_hub_url_setting' ), 10, 3 );
		add_filter( 'woocommerce_admin_settings_sanitize_option_' . self::OPTION_SECRET, array( __CLASS__, 'sanitize_secret_setting' ), 10, 3 );
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
	 * The hub URL as typed on the settings screen: a valid http(s) URL is stored, an empty field
	 * unpairs, anything else is refused with a message and the stored URL is kept (null tells
	 * WooCommerce not to save the field).
	 *
	 * @param mixed $value     WooCommerce's cleaned value.
	 * @param array $option    The field.
	 * @param mixed $raw_value What was typed.
	 * @return string|null
	 */
	public static function sanitize_hub_url_setting( $value, $option = array(), $raw_value = null ) {
		$typed = trim( (string) ( null === $raw_value ? $value : $raw_value ) );
		if ( '' === $typed ) {
			return '';
		}
		$url = self::sanitize_hub_url( $typed );
		if ( '' !== $url ) {
			return $url;
		}
		if ( class_exists( 'WC_Admin_Settings' ) ) {
			WC_Admin_Settings::add_error(
				sprintf(
					/* translators: %s: what was typed */
					__( 'Connect Hub: the hub URL must start with http:// or https:// (e.g. https://hub.example/webhooks/shop); "%s" was not saved and the previous URL is kept.', 'connect-hub-companion' ),
					sanitize_text_field( $typed )
				)
			);
		}
		return null;
	}

	/**
	 * The secret as typed: the field is always shown empty, so an empty field keeps the secret.
	 *
	 * @param mixed $value     WooCommerce's cleaned value.
	 * @param array $option    The field.
	 * @param mixed $raw_value What was typed.
	 * @return string|null
	 */
	public static function sanitize_secret_setting( $value, $option = array(), $raw_value = null ) {
		$typed = (string) ( null === $raw_value ? $value : $raw_value );
		return '' === trim( $typed ) ? null : trim( $typed );
	}

	/**
	 * The secret's field: a password input that never holds the secret (not in the page's HTML).
	 *
	 * @param array $field The field.
	 */
	public static function render_secret( $field ) {
		$set = '' !== self::secret();
		echo '<tr valign="top"><th scope="row" class="titledesc"><label for="' . esc_attr( self::OPTION_SECRET ) . '">' . esc_html( isset( $field['title'] ) ? $field['title'] : '' ) . '</label></th><td class="forminp forminp-password">';
		echo '<input name="' . esc_attr( self::OPTION_SECRET ) . '" id="' . esc_attr( self::OPTION_SECRET ) . '" type="password" value="" autocomplete="new-password" style="min-width: 400px;" placeholder="' . esc_attr( $set ? __( 'Set (leave empty to keep it)', 'connect-hub-companion' ) : '' ) . '">';
		if ( ! empty( $field['desc'] ) ) {
			echo '<p class="description">' . esc_html( $field['desc'] ) . '</p>';
		}
		echo '</td></tr>';
	}

	/**
	 * The first 8 hex digits of SHA-256("connect-hub-webhook:" + secret), as the hub names its
	 * webhooks: tells secrets apart without revealing them ('' when there is none).
	 *
	 * @return string
	 */
	public static function secret_fingerprint() {
		$secret = self::secret();
		return '' === $secret ? '' : substr( hash( 'sha256', 'connect-hub-webhook:' . $secret ), 0, 8 );
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
				'desc'     => __( 'The same secret as the hub\'s webhook secret for this shop (the hub shows it with: connect-hub wordpress-plugin --pairing INTEGRATION). It is never shown here; leave the field empty to keep it.', 'connect-hub-companion' ),
				'id'       => self::OPTION_SECRET,
				'type'     => 'connect_hub_secret', // WooCommerce's "password" type prints the value into the page.
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
		$new_link = wp_nonce_url( add_query_arg( 'connect_hub_new_code', '1' ), 'connect_hub_new_code' );
		echo '<tr valign="top"><th scope="row" class="titledesc">' . esc_html__( 'Pairing', 'connect-hub-companion' ) . '</th><td class="forminp">';
		if ( self::is_paired() ) {
			/* translators: %s: the hub's URL */
			echo '<p>' . esc_html( sprintf( __( 'Paired with %s.', 'connect-hub-companion' ), self::hub_url() ) ) . '</p>';
			// No code unless asked for: the hub's used code must not look like one still to use.
			$code = Connect_Hub_Pairing::valid_code();
			if ( null === $code ) {
				echo '<p><a href="' . esc_url( $new_link ) . '">' . esc_html__( 'Pair again (show a pairing code)', 'connect-hub-companion' ) . '</a></p>';
			}
		} else {
			echo '<p>' . esc_html__( 'Not paired yet.', 'connect-hub-companion' ) . '</p>';
			$code = Connect_Hub_Pairing::current_code();
		}
		if ( null !== $code ) {
			echo '<p>' . esc_html__( 'Pairing code:', 'connect-hub-companion' ) . ' <code style="font-size:1.3em">' . esc_html( $code['code'] ) . '</code> ';
			/* translators: %s: time until the code expires */
			echo esc_html( sprintf( __( '(valid for %s, once)', 'connect-hub-companion' ), human_time_diff( time(), (int) $code['expires'] ) ) );
			echo ' <a href="' . esc_url( $new_link ) . '">' . esc_html__( 'New code', 'connect-hub-companion' ) . '</a></p>';
			echo '<p class="description">' . esc_html__( 'Give this code to the hub (pairing_code in its configuration, then connect-hub onboard), with a WooCommerce API key (read/write) of a shop manager or administrator.', 'connect-hub-companion' ) . '</p>';
		}
		$held = Connect_Hub_Sender::held();
		if ( ! empty( $held ) ) {
			/* translators: %d: how many */
			echo '<p><strong>' . esc_html( sprintf( _n( '%d message refused by the hub is kept: it is sent once the shop is paired again.', '%d messages refused by the hub are kept: they are sent once the shop is paired again.', count( $held ), 'connect-hub-companion' ), count( $held ) ) ) . '</strong> ';
			// For a hub whose secret was put right on its side: nothing changes here, so say when.
			$send_link = wp_nonce_url( add_query_arg( 'connect_hub_send_held', '1' ), 'connect_hub_send_held' );
			echo '<a href="' . esc_url( $send_link ) . '">' . esc_html__( 'Send them again now', 'connect-hub-companion' ) . '</a></p>';
		}
		echo '</td></tr>';
	}

	/**
	 * The settings screen's links: "New code", and "Send them again now" for held messages.
	 */
	public static function maybe_new_pairing_code() {
		if ( isset( $_GET['connect_hub_send_held'] ) && current_user_can( 'manage_woocommerce' ) ) {
			check_admin_referer( 'connect_hub_send_held' );
			Connect_Hub_Sender::release_held();
			wp_safe_redirect( remove_query_arg( array( 'connect_hub_send_held', '_wpnonce' ) ) );
			exit;
		}
		if ( ! isset( $_GET['connect_hub_new_code'] ) || ! current_user_can( 'manage_woocommerce' ) ) {
			return;
		}
		check_admin_referer( 'connect_hub_new_code' );
		Connect_Hub_Pairing::new_code();
		wp_safe_redirect( remove_query_arg( array( 'connect_hub_new_code', '_wpnonce' ) ) );
		exit;
	}
}
