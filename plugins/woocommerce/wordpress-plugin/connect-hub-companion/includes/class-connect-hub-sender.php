<?php
/**
 * Sending to the hub, always in the background through Action Scheduler, signed like
 * WooCommerce's own webhooks, and retried with an exponential delay while the hub is down.
 *
 * A delivery's topic and raw body are stored in a non-autoloaded option; the queued action only
 * carries the delivery's id and attempt number (old Action Scheduler versions limit arguments to
 * 191 characters). Every attempt of a delivery sends the same bytes.
 *
 * @package Connect_Hub_Companion
 */

defined( 'ABSPATH' ) || exit;

/**
 * The delivery queue.
 */
class Connect_Hub_Sender {

	const HOOK         = 'connect_hub_send';
	const GROUP        = 'connect-hub';
	const MAX_ATTEMPTS = 10;
	const BASE_DELAY   = 180;
	const MAX_DELAY    = 21600;
	const TIMEOUT      = 15;
	const LOG_SOURCE   = 'connect-hub';

	/**
	 * Hooks the queue's worker.
	 */
	public static function init() {
		add_action( self::HOOK, array( __CLASS__, 'send' ), 10, 2 );
	}

	/**
	 * Queues `$payload` for the hub under `$topic`. Nothing is sent during this request.
	 *
	 * Options:
	 * - `key`: deliveries with the same key coalesce: while one is still waiting to be sent, a new
	 *   payload replaces its body and no second action is queued.
	 * - `not_before`: a Unix time before which the delivery is not sent.
	 *
	 * @param string $topic   E.g. `checkout.updated`.
	 * @param array  $payload The JSON object.
	 * @param array  $options `key` and `not_before`.
	 * @return string|false The delivery's id, or false when the shop is not paired.
	 */
	public static function enqueue( $topic, array $payload, array $options = array() ) {
		if ( ! Connect_Hub_Settings::is_paired() ) {
			return false;
		}
		$key        = isset( $options['key'] ) ? (string) $options['key'] : '';
		$not_before = isset( $options['not_before'] ) ? (int) $options['not_before'] : 0;
		$body       = wp_json_encode( $payload );

		if ( '' !== $key ) {
			$pending = get_option( self::pending_option( $key ), '' );
			if ( '' !== $pending ) {
				$delivery = get_option( self::delivery_option( $pending ), null );
				if ( is_array( $delivery ) ) {
					$delivery['topic'] = $topic;
					$delivery['body']  = $body;
					update_option( self::delivery_option( $pending ), $delivery, false );
					return $pending;
				}
			}
		}

		$id = str_replace( '-', '', wp_generate_uuid4() );
		update_option(
			self::delivery_option( $id ),
			array(
				'topic'   => $topic,
				'body'    => $body,
				'key'     => $key,
				'created' => time(),
			),
			false
		);
		if ( '' !== $key ) {
			update_option( self::pending_option( $key ), $id, false );
		}
		self::schedule( $id, 1, max( 0, $not_before - time() ) );
		return $id;
	}

	/**
	 * Forgets a delivery that is still waiting under `$key` (its queued action will find nothing).
	 *
	 * @param string $key The coalescing key.
	 */
	public static function drop_pending( $key ) {
		$pending = get_option( self::pending_option( $key ), '' );
		if ( '' !== $pending ) {
			delete_option( self::delivery_option( $pending ) );
		}
		delete_option( self::pending_option( $key ) );
	}

	/**
	 * The queue's worker: one attempt at a delivery.
	 *
	 * @param string $id      The delivery's id.
	 * @param int    $attempt 1 for the first attempt.
	 * @return string `sent`, `retry`, `failed` or `missing` (for tests and logs).
	 */
	public static function send( $id, $attempt = 1 ) {
		$id       = (string) $id;
		$attempt  = max( 1, (int) $attempt );
		$delivery = get_option( self::delivery_option( $id ), null );
		if ( ! is_array( $delivery ) ) {
			return 'missing';
		}
		if ( ! empty( $delivery['key'] ) && get_option( self::pending_option( $delivery['key'] ), '' ) === $id ) {
			// From now on, a newer payload for the same key is a new delivery.
			delete_option( self::pending_option( $delivery['key'] ) );
		}
		if ( ! Connect_Hub_Settings::is_paired() ) {
			self::log( 'warning', sprintf( 'Not paired with a hub: %s dropped.', $delivery['topic'] ) );
			delete_option( self::delivery_option( $id ) );
			return 'failed';
		}

		$response = wp_remote_post(
			Connect_Hub_Settings::hub_url(),
			array(
				'body'        => $delivery['body'],
				'headers'     => self::headers( $delivery['topic'], $delivery['body'], Connect_Hub_Settings::secret(), $id ),
				'timeout'     => self::TIMEOUT,
				'redirection' => 0,
				'httpversion' => '1.1',
				'user-agent'  => 'ConnectHubCompanion/' . CONNECT_HUB_COMPANION_VERSION . '; ' . home_url( '/' ),
			)
		);

		if ( is_wp_error( $response ) ) {
			$code   = 0;
			$reason = $response->get_error_message();
		} else {
			$code   = (int) wp_remote_retrieve_response_code( $response );
			$reason = 'HTTP ' . $code;
		}

		if ( $code >= 200 && $code < 300 ) {
			delete_option( self::delivery_option( $id ) );
			return 'sent';
		}
		if ( 401 === $code || 403 === $code ) {
			self::log( 'error', sprintf( 'The hub refused %s (%s): the shared secret differs from the hub\'s. Pair again; this delivery is dropped.', $delivery['topic'], $reason ) );
			delete_option( self::delivery_option( $id ) );
			return 'failed';
		}
		if ( $attempt >= self::MAX_ATTEMPTS ) {
			self::log( 'error', sprintf( 'Gave up on %s after %d attempts (%s).', $delivery['topic'], $attempt, $reason ) );
			delete_option( self::delivery_option( $id ) );
			return 'failed';
		}
		$delay = self::retry_delay( $attempt );
		self::log( 'warning', sprintf( 'Sending %s failed (%s), attempt %d of %d; next in %d s.', $delivery['topic'], $reason, $attempt, self::MAX_ATTEMPTS, $delay ) );
		self::schedule( $id, $attempt + 1, $delay );
		return 'retry';
	}

	/**
	 * Seconds to wait after failed attempt `$attempt`: 3 min, doubling, at most 6 h (about
	 * 18 hours over all attempts).
	 *
	 * @param int $attempt The attempt that failed (1-based).
	 * @return int
	 */
	public static function retry_delay( $attempt ) {
		$attempt = max( 1, (int) $attempt );
		return (int) min( self::MAX_DELAY, self::BASE_DELAY * pow( 2, min( 20, $attempt - 1 ) ) );
	}

	/**
	 * The request's headers, as WooCommerce's webhooks send them.
	 *
	 * @param string $topic       E.g. `checkout.updated`.
	 * @param string $body        The raw body.
	 * @param string $secret      The shared secret.
	 * @param string $delivery_id The delivery's id (the same on every attempt).
	 * @return array<string, string>
	 */
	public static function headers( $topic, $body, $secret, $delivery_id = '' ) {
		$parts   = explode( '.', $topic, 2 );
		$headers = array(
			'Content-Type'             => 'application/json',
			'X-WC-Webhook-Source'      => home_url( '/' ),
			'X-WC-Webhook-Topic'       => $topic,
			'X-WC-Webhook-Resource'    => $parts[0],
			'X-WC-Webhook-Event'       => isset( $parts[1] ) ? $parts[1] : '',
			'X-WC-Webhook-Signature'   => self::sign( $body, $secret ),
			'X-Connect-Hub-Plugin'     => CONNECT_HUB_COMPANION_VERSION,
		);
		if ( '' !== $delivery_id ) {
			$headers['X-Connect-Hub-Delivery'] = $delivery_id;
		}
		return $headers;
	}

	/**
	 * base64(HMAC-SHA256(body, secret)), with the secret's HTML entities decoded first, exactly as
	 * WooCommerce signs its webhooks.
	 *
	 * @param string $body   The raw body.
	 * @param string $secret The shared secret.
	 * @return string
	 */
	public static function sign( $body, $secret ) {
		$key = function_exists( 'wp_specialchars_decode' ) ? wp_specialchars_decode( $secret, ENT_QUOTES ) : $secret;
		return base64_encode( hash_hmac( 'sha256', $body, $key, true ) ); // phpcs:ignore WordPress.PHP.DiscouragedPHPFunctions.obfuscation_base64_encode
	}

	/**
	 * Queues attempt `$attempt` of a delivery, after `$delay` seconds.
	 *
	 * @param string $id      The delivery's id.
	 * @param int    $attempt The attempt.
	 * @param int    $delay   Seconds.
	 */
	private static function schedule( $id, $attempt, $delay ) {
		$args = array( $id, $attempt );
		if ( $delay <= 0 && function_exists( 'as_enqueue_async_action' ) ) {
			as_enqueue_async_action( self::HOOK, $args, self::GROUP );
		} elseif ( function_exists( 'as_schedule_single_action' ) ) {
			as_schedule_single_action( time() + max( 0, $delay ), self::HOOK, $args, self::GROUP );
		} else {
			wp_schedule_single_event( time() + max( 0, $delay ), self::HOOK, $args );
		}
	}

	/**
	 * The option holding a delivery.
	 *
	 * @param string $id The delivery's id.
	 * @return string
	 */
	public static function delivery_option( $id ) {
		return 'connect_hub_delivery_' . $id;
	}

	/**
	 * The option naming the delivery still waiting under a coalescing key.
	 *
	 * @param string $key The key.
	 * @return string
	 */
	public static function pending_option( $key ) {
		return 'connect_hub_pending_' . md5( $key );
	}

	/**
	 * Logs through WooCommerce's logger (source `connect-hub`). Never logs the secret or a body.
	 *
	 * @param string $level   `warning`, `error`...
	 * @param string $message The message.
	 */
	public static function log( $level, $message ) {
		if ( function_exists( 'wc_get_logger' ) ) {
			wc_get_logger()->log( $level, $message, array( 'source' => self::LOG_SOURCE ) );
		}
	}
}
