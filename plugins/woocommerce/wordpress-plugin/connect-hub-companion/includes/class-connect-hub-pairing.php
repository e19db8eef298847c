<?php
/**
 * Pairing: a one-time code, shown on the settings screen, that lets the hub store its URL and the
 * shared secret through `POST /wp-json/connect-hub/v1/pair`.
 *
 * @package Connect_Hub_Companion
 */

defined( 'ABSPATH' ) || exit;

/**
 * One-time pairing codes.
 */
class Connect_Hub_Pairing {

	const OPTION       = 'connect_hub_pairing_code';
	const LIFETIME     = 3600;
	const MAX_FAILURES = 5;
	const ALPHABET     = 'ABCDEFGHJKLMNPQRSTUVWXYZ23456789';

	/**
	 * The code shown on the screen: the stored one while it is valid, else a new one.
	 *
	 * @return array{code: string, expires: int}
	 */
	public static function current_code() {
		$valid = self::valid_code();
		return null === $valid ? self::new_code() : $valid;
	}

	/**
	 * The stored code while it is valid, else null (makes none).
	 *
	 * @return array{code: string, expires: int}|null
	 */
	public static function valid_code() {
		$stored = get_option( self::OPTION, array() );
		if ( is_array( $stored ) && ! empty( $stored['code'] ) && (int) $stored['expires'] > time() ) {
			return array(
				'code'    => (string) $stored['code'],
				'expires' => (int) $stored['expires'],
			);
		}
		return null;
	}

	/**
	 * Makes a new code (`XXXX-XXXX`, no 0/O/1/I), valid for an hour, and forgets the previous one.
	 *
	 * @return array{code: string, expires: int}
	 */
	public static function new_code() {
		$chars = '';
		$max   = strlen( self::ALPHABET ) - 1;
		for ( $i = 0; $i < 8; $i++ ) {
			$chars .= self::ALPHABET[ random_int( 0, $max ) ];
		}
		$code = array(
			'code'     => substr( $chars, 0, 4 ) . '-' . substr( $chars, 4 ),
			'expires'  => time() + self::LIFETIME,
			'failures' => 0,
		);
		update_option( self::OPTION, $code, false );
		return array(
			'code'    => $code['code'],
			'expires' => $code['expires'],
		);
	}

	/**
	 * Checks a code and burns it when it is right. Wrong guesses count; after MAX_FAILURES the code
	 * is burnt too, and a new one must be shown on the screen.
	 *
	 * @param string $given The code the hub sent (case, spaces and dashes do not matter).
	 * @return bool
	 */
	public static function consume( $given ) {
		$stored = get_option( self::OPTION, array() );
		if ( ! is_array( $stored ) || empty( $stored['code'] ) ) {
			return false;
		}
		if ( (int) $stored['expires'] <= time() ) {
			delete_option( self::OPTION );
			return false;
		}
		if ( hash_equals( self::normalize( $stored['code'] ), self::normalize( (string) $given ) ) ) {
			delete_option( self::OPTION );
			return true;
		}
		$stored['failures'] = (int) ( isset( $stored['failures'] ) ? $stored['failures'] : 0 ) + 1;
		if ( $stored['failures'] >= self::MAX_FAILURES ) {
			delete_option( self::OPTION );
		} else {
			update_option( self::OPTION, $stored, false );
		}
		return false;
	}

	/**
	 * Upper case, without spaces and dashes.
	 *
	 * @param string $code A code.
	 * @return string
	 */
	public static function normalize( $code ) {
		return strtoupper( preg_replace( '/[\s\-]+/', '', $code ) );
	}
}
