<?php
/**
 * Plugin Name: Real shop for tests
 * Description: What a test shop on loopback needs: webhooks and HTTP calls may reach 127.0.0.1
 * and localhost on any port, and e-mails are written to wp-content/realshop-mail/ instead of sent.
 */

add_filter(
	'http_request_host_is_external',
	function ( $external, $host ) {
		return $external || in_array( strtolower( (string) $host ), array( '127.0.0.1', 'localhost', '::1' ), true );
	},
	10,
	2
);

add_filter(
	'http_allowed_safe_ports',
	function ( $ports, $host, $url ) {
		$port = wp_parse_url( $url, PHP_URL_PORT );
		if ( $port && in_array( strtolower( (string) $host ), array( '127.0.0.1', 'localhost', '::1' ), true ) ) {
			$ports[] = (int) $port;
		}
		return $ports;
	},
	10,
	3
);

add_filter(
	'pre_wp_mail',
	function ( $return, $atts ) {
		$dir = WP_CONTENT_DIR . '/realshop-mail';
		if ( ! is_dir( $dir ) ) {
			mkdir( $dir, 0777, true );
		}
		$mail = array(
			'to'      => is_array( $atts['to'] ) ? $atts['to'] : array_map( 'trim', explode( ',', (string) $atts['to'] ) ),
			'subject' => $atts['subject'],
			'message' => $atts['message'],
			'headers' => $atts['headers'],
			'time'    => microtime( true ),
		);
		$name = sprintf( '%s/%.6f-%s.json', $dir, microtime( true ), wp_generate_password( 6, false ) );
		file_put_contents( $name, wp_json_encode( $mail ) );
		return true;
	},
	10,
	2
);
