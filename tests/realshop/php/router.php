<?php
/**
 * Router for PHP's built-in server in front of WordPress: existing files (and directories with
 * an index.php) are served as they are, everything else goes to index.php, so pretty
 * permalinks such as /wp-json/wc/v3/orders work.
 */
$root = $_SERVER['DOCUMENT_ROOT'];
$path = rawurldecode( (string) parse_url( $_SERVER['REQUEST_URI'], PHP_URL_PATH ) );
$file = $root . $path;
if ( '/' !== $path && file_exists( $file ) ) {
	if ( is_file( $file ) || is_file( rtrim( $file, '/' ) . '/index.php' ) ) {
		return false;
	}
}
$_SERVER['SCRIPT_NAME']     = '/index.php';
$_SERVER['SCRIPT_FILENAME'] = $root . '/index.php';
$_SERVER['PHP_SELF']        = '/index.php';
chdir( $root );
require $root . '/index.php';
