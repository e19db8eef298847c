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
	const HELD_OPTION  = 'connect_hub_held_deliveries';
	const UNPAIRED_LOG = 'connect_hub_unpaired_logged';

	/**
	 * Hooks the queue's worker.
	 */
	public static function init() {
		add_action( self::HOOK, array( __CLASS__, 'send' ), 10, 2 );
		add_action( 'shutdown', array( __CLASS__, 'dispatch_now' ) );
		add_action( 'admin_notices', array( __CLASS__, 'admin_notice' ) );
		add_action( 'connect_hub_delivery_result', array( 'Connect_Hub_Shipments', 'on_delivery_result' ), 10, 5 );
		// Paired again (a new URL or secret, by hand or through /pair): refused deliveries go again.
		foreach ( array( Connect_Hub_Settings::OPTION_HUB_URL, Connect_Hub_Settings::OPTION_SECRET ) as $option ) {
			add_action( 'update_option_' . $option, array( __CLASS__, 'release_held' ), 10, 0 );
			add_action( 'add_option_' . $option, array( __CLASS__, 'release_held' ), 10, 0 );
		}
	}

	/**
	 * Whether this request queued a delivery to be sent now.
	 *
	 * @var bool
	 */
	private static $due_now = false;

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
			self::log_unpaired( $topic );
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
	 * @return string `sent`, `retry`, `held` (refused: kept until paired again), `failed` or `missing`.
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
			return self::result( $id, $delivery, 'failed', __( 'the shop is not paired with a hub', 'connect-hub-companion' ) );
		}
		$held = self::held();
		if ( isset( $held[ $id ] ) ) {
			unset( $held[ $id ] );
			update_option( self::HELD_OPTION, $held, false );
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
			return self::result( $id, $delivery, 'sent', $reason );
		}
		if ( 401 === $code || 403 === $code ) {
			// Kept, and sent again as soon as the shop is paired again (release_held).
			self::log( 'error', sprintf( 'The hub refused %s (%s): the shared secret differs from the hub\'s. It is kept: pair again on WooCommerce > Settings > Advanced > Connect Hub, and it is sent then.', $delivery['topic'], $reason ) );
			$held        = self::held();
			$held[ $id ] = array(
				'topic'  => (string) $delivery['topic'],
				'reason' => $reason,
				'at'     => time(),
			);
			update_option( self::HELD_OPTION, $held, false );
			return self::result( $id, $delivery, 'held', $reason );
		}
		if ( $attempt >= self::MAX_ATTEMPTS ) {
			self::log( 'error', sprintf( 'Gave up on %s after %d attempts (%s).', $delivery['topic'], $attempt, $reason ) );
			delete_option( self::delivery_option( $id ) );
			/* translators: 1: attempts, 2: the last error */
			return self::result( $id, $delivery, 'failed', sprintf( __( 'gave up after %1$d attempts (%2$s)', 'connect-hub-companion' ), $attempt, $reason ) );
		}
		$delay = self::retry_delay( $attempt );
		self::log( 'warning', sprintf( 'Sending %s failed (%s), attempt %d of %d; next in %d s.', $delivery['topic'], $reason, $attempt, self::MAX_ATTEMPTS, $delay ) );
		self::schedule( $id, $attempt + 1, $delay );
		return self::result( $id, $delivery, 'retry', $reason );
	}

	/**
	 * Tells who cares (`connect_hub_delivery_result`) how an attempt ended, and returns `$result`.
	 *
	 * @param string $id       The delivery's id.
	 * @param array  $delivery The delivery.
	 * @param string $result   `sent`, `retry`, `held` or `failed`.
	 * @param string $reason   The answer or error.
	 * @return string
	 */
	private static function result( $id, array $delivery, $result, $reason ) {
		do_action( 'connect_hub_delivery_result', (string) $delivery['topic'], (string) $delivery['body'], $result, (string) $reason, (string) $id );
		return $result;
	}

	/**
	 * Deliveries the hub refused (401/403), kept until the shop is paired again.
	 *
	 * @return array<string, array{topic: string, reason: string, at: int}> By delivery id.
	 */
	public static function held() {
		$held = get_option( self::HELD_OPTION, array() );
		return is_array( $held ) ? $held : array();
	}

	/**
	 * Queues every held delivery again, from its first attempt (the shop was paired again).
	 *
	 * @return int How many were queued.
	 */
	public static function release_held() {
		$held = self::held();
		if ( empty( $held ) ) {
			return 0;
		}
		delete_option( self::HELD_OPTION );
		$queued = 0;
		foreach ( array_keys( $held ) as $id ) {
			if ( is_array( get_option( self::delivery_option( $id ), null ) ) ) {
				self::schedule( (string) $id, 1, 0 );
				++$queued;
			}
		}
		return $queued;
	}

	/**
	 * A notice on wp-admin screens, for who can pair, while deliveries are held.
	 */
	public static function admin_notice() {
		$held = self::held();
		if ( empty( $held ) || ! current_user_can( 'manage_woocommerce' ) ) {
			return;
		}
		$last = end( $held );
		$link = admin_url( 'admin.php?page=wc-settings&tab=advanced&section=connect_hub' );
		echo '<div class="notice notice-error"><p>' . esc_html(
			sprintf(
				/* translators: 1: how many, 2: the hub's answer */
				_n( 'Connect Hub: %1$d message (shipment or checkout) was refused by the hub (%2$s): the shared secret differs from the hub\'s. It is kept and sent once you pair again.', 'Connect Hub: %1$d messages (shipments, checkouts) were refused by the hub (%2$s): the shared secret differs from the hub\'s. They are kept and sent once you pair again.', count( $held ), 'connect-hub-companion' ),
				count( $held ),
				$last['reason']
			)
		) . ' <a href="' . esc_url( $link ) . '">' . esc_html__( 'Pair again', 'connect-hub-companion' ) . '</a></p></div>';
	}

	/**
	 * `shutdown`: when this request queued something to send now, Action Scheduler's async
	 * request runs the queue in a loopback request right away, instead of waiting for WP-Cron
	 * (which needs a visitor). The queue stays the fallback when the loopback fails.
	 */
	public static function dispatch_now() {
		if ( ! self::$due_now ) {
			return;
		}
		self::$due_now = false;
		if ( ! class_exists( 'ActionScheduler_AsyncRequest_QueueRunner' ) || ! class_exists( 'ActionScheduler' ) ) {
			return;
		}
		try {
			$runner = new ActionScheduler_AsyncRequest_QueueRunner( ActionScheduler::store() );
			$runner->maybe_dispatch();
		} catch ( \Throwable $e ) {
			self::log( 'warning', 'Could not start the queue now (' . $e->getMessage() . '); WP-Cron runs it later.' );
		}
	}

	/**
	 * Logs, at most once an hour, that something was not sent because the shop is not paired.
	 *
	 * @param string $topic What was not sent.
	 */
	private static function log_unpaired( $topic ) {
		$last = (int) get_option( self::UNPAIRED_LOG, 0 );
		if ( $last > time() - HOUR_IN_SECONDS ) {
			return;
		}
		update_option( self::UNPAIRED_LOG, time(), false );
		self::log( 'warning', sprintf( 'Not paired with a hub: %s not sent (nor anything else for an hour without this message). Pair on WooCommerce > Settings > Advanced > Connect Hub.', $topic ) );
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
		if ( $delay <= 0 ) {
			self::$due_now = true;
		}
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
