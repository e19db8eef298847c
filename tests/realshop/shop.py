"""A real WordPress + WooCommerce shop for tests, brought up from the projects' published archives.

``bring_up()`` gives a :class:`RealShop`: its own MariaDB data directory on a free port (run as
the ``mysql`` user when the tests run as root), PHP's built-in server on a free port with
``PHP_CLI_SERVER_WORKERS=4`` and a router (pretty permalinks), WordPress installed with
``WP_DEBUG`` and ``WP_DEBUG_LOG``, WooCommerce active with HPOS on, a read/write REST API key,
and a must-use plugin that lets webhooks reach loopback and writes e-mails to files.

The installed shop (files and database) is built once and kept in ``.cache/realshop/<key>``
(the key covers the archives and the bring-up's own files); each bring-up copies it (the files
as hard links, the database as a copy) into a fresh directory and starts it, about 5 s.
Processes are stopped at exit, on SIGTERM, and when the test process dies (parent-death signal).

The archives come from ``CONNECT_HUB_WORDPRESS_ARCHIVE`` and ``CONNECT_HUB_WOOCOMMERCE_ARCHIVE``;
without them, from ``../shared/realshop`` next to the repository when it exists.
"""

from __future__ import annotations

import atexit
import contextlib
import ctypes
import fcntl
import hashlib
import json
import os
import pwd
import secrets
import shutil
import signal
import socket
import subprocess
import tempfile
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Self

import httpx

REPO = Path(__file__).resolve().parents[2]
HERE = Path(__file__).resolve().parent
PHP_FILES = HERE / "php"
CACHE = Path(os.environ.get("CONNECT_HUB_REALSHOP_CACHE", REPO / ".cache" / "realshop"))
COMPANION = REPO / "plugins" / "woocommerce" / "wordpress-plugin" / "connect-hub-companion"
WORDPRESS_ENV = "CONNECT_HUB_WORDPRESS_ARCHIVE"
WOOCOMMERCE_ENV = "CONNECT_HUB_WOOCOMMERCE_ARCHIVE"
DEFAULT_ARCHIVES = REPO.parent / "shared" / "realshop"
WORDPRESS_ARCHIVE = "wordpress-6.8.8.tar.gz"
WOOCOMMERCE_ARCHIVE = "woocommerce-9.9.5.tar.gz"
HOW_TO_GET = (
    f"the real-shop tests need the WordPress 6.8.8 and WooCommerce 9.9.5 archives: download "
    f"https://wordpress.org/{WORDPRESS_ARCHIVE} and https://downloads.wordpress.org/plugin/"
    f"woocommerce.9.9.5.zip (repacked as {WOOCOMMERCE_ARCHIVE} with its top folder woocommerce/) and set "
    f"{WORDPRESS_ENV} and {WOOCOMMERCE_ENV} to their paths, or put them in {DEFAULT_ARCHIVES}"
)
PACKAGES = "php-cli php-mysql php-xml php-mbstring php-curl php-gd php-zip php-intl php-bcmath mariadb-server mariadb-client"
ADMIN_USER = "admin"
ADMIN_PASSWORD = "admin-password-for-tests"
ADMIN_EMAIL = "admin@shop.example"
DB_NAME, DB_USER, DB_PASSWORD = "wordpress", "wordpress", "wordpress-for-tests"
ROOT_PREFIX = "realshop-"
WEBHOOK_GROUP = "woocommerce-webhooks"
"""The Action Scheduler group of WooCommerce's webhook deliveries."""
RESULT_MARK = "\n@@realshop-result@@\n"
PR_SET_PDEATHSIG = 1


class Unavailable(Exception):
    """The real shop cannot be brought up here; the message says what is missing and how to get it."""


def archives() -> tuple[Path, Path]:
    """The WordPress and WooCommerce archives, from the environment or ``../shared/realshop``."""
    wordpress = os.environ.get(WORDPRESS_ENV) or str(DEFAULT_ARCHIVES / WORDPRESS_ARCHIVE)
    woocommerce = os.environ.get(WOOCOMMERCE_ENV) or str(DEFAULT_ARCHIVES / WOOCOMMERCE_ARCHIVE)
    missing = [p for p in (wordpress, woocommerce) if not Path(p).is_file()]
    if missing:
        raise Unavailable(f"{', '.join(missing)} not found: {HOW_TO_GET}")
    return Path(wordpress), Path(woocommerce)


def missing_programs() -> str | None:
    """What of PHP (with mysqli) and MariaDB is not installed, as a sentence; None when all is there."""
    lacking = [name for name in ("php", "mariadbd", "mariadb-install-db", "mariadb-admin") if not _which(name)]
    if not lacking:
        modules = subprocess.run(["php", "-m"], capture_output=True, text=True, check=False).stdout.lower().split()
        lacking = [f"php-{m}" for m in ("mysqli", "curl", "gd", "intl", "zip", "mbstring", "xml") if m not in modules]
    if not lacking:
        return None
    return f"{', '.join(lacking)} missing: install the Debian packages {PACKAGES} (`make system-packages`)"


def _which(name: str) -> str | None:
    return shutil.which(name) or next((str(p) for p in (Path("/usr/sbin") / name, Path("/usr/bin") / name) if p.exists()), None)


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


# --- processes -------------------------------------------------------------------------------

_RUNNING: list[RealShop] = []
_previous_sigterm: Any = None


def _stop_all() -> None:
    for shop in _RUNNING:
        shop.stop()


def _on_sigterm(signum: int, frame: Any) -> None:
    _stop_all()
    previous = _previous_sigterm
    if callable(previous):
        previous(signum, frame)
    else:
        signal.signal(signal.SIGTERM, signal.SIG_DFL)
        os.kill(os.getpid(), signal.SIGTERM)


def _install_cleanup() -> None:
    global _previous_sigterm
    if _previous_sigterm is not None:
        return
    atexit.register(_stop_all)
    with contextlib.suppress(ValueError):  # not the main thread: atexit and the death signal remain
        _previous_sigterm = signal.signal(signal.SIGTERM, _on_sigterm) or signal.SIG_DFL


def _child_setup(user: str | None):
    """For Popen's preexec_fn: a process group of its own, the user to run as, and SIGTERM
    when the test process dies (set after the user change, which would clear it)."""

    def setup() -> None:
        os.setsid()
        if user:
            entry = pwd.getpwnam(user)
            os.setgid(entry.pw_gid)
            os.setuid(entry.pw_uid)
        with contextlib.suppress(Exception):
            ctypes.CDLL("libc.so.6", use_errno=True).prctl(PR_SET_PDEATHSIG, signal.SIGTERM)

    return setup


def _stop_process(process: subprocess.Popen | None, timeout: float = 15, signum: int = signal.SIGTERM) -> None:
    if process is None or process.poll() is not None:
        return
    with contextlib.suppress(ProcessLookupError):
        os.killpg(process.pid, signum)
    try:
        process.wait(timeout=timeout)
    except subprocess.TimeoutExpired:
        with contextlib.suppress(ProcessLookupError):
            os.killpg(process.pid, signal.SIGKILL)
        process.wait(timeout=5)
    with contextlib.suppress(ProcessLookupError):  # workers left in the group (PHP's forks)
        os.killpg(process.pid, signal.SIGKILL)


def _db_user() -> str | None:
    """The server runs as ``mysql`` when we are root (it refuses root), else as ourselves."""
    return "mysql" if os.geteuid() == 0 else None


def _chown_tree(path: Path, user: str | None) -> None:
    if user:
        subprocess.run(["chown", "-R", f"{user}:{user}", str(path)], check=True)


# --- the shop --------------------------------------------------------------------------------


@dataclass
class RealShop:
    """A running WordPress + WooCommerce. ``url`` has no trailing slash; ``consumer_key`` and
    ``consumer_secret`` are the unhashed ``ck_``/``cs_`` of a read/write REST key."""

    root: Path
    url: str
    port: int
    db_port: int
    consumer_key: str
    consumer_secret: str
    admin_user: str = ADMIN_USER
    admin_password: str = ADMIN_PASSWORD
    admin_id: int = 1
    versions: dict[str, Any] = field(default_factory=dict)
    _mariadb: subprocess.Popen | None = None
    _php: subprocess.Popen | None = None

    @property
    def docroot(self) -> Path:
        return self.root / "docroot"

    @property
    def content(self) -> Path:
        return self.docroot / "wp-content"

    @property
    def debug_log(self) -> Path:
        return self.content / "debug.log"

    @property
    def mail_dir(self) -> Path:
        return self.content / "realshop-mail"

    @property
    def socket(self) -> Path:
        return self.root / "mysql.sock"

    # -- PHP ----------------------------------------------------------------------------------

    def php(self, code: str, *, admin: bool = False, timeout: float = 120) -> Any:
        """Run PHP code in WordPress (after ``wp-load.php``), from the CLI; what the code
        ``return``\\s comes back JSON-decoded. With ``admin``, as the administrator."""
        script = self.root / f"run-{secrets.token_hex(6)}.php"
        script.write_text(
            "<?php\n"
            f"$_SERVER['HTTP_HOST'] = '127.0.0.1:{self.port}'; $_SERVER['REQUEST_URI'] = '/';\n"
            f"require {json.dumps(str(self.docroot / 'wp-load.php'))};\n"
            + ("wp_set_current_user( " + str(self.admin_id) + " );\n" if admin else "")
            + "$__realshop = (function () {\n" + code + "\n})();\n"
            f"echo {json.dumps(RESULT_MARK)} . wp_json_encode( $__realshop );\n"
        )
        try:
            result = subprocess.run(["php", *self.cli_options(), str(script)], capture_output=True, text=True, timeout=timeout, check=False, cwd=self.docroot)
        finally:
            script.unlink(missing_ok=True)
        if result.returncode != 0 or RESULT_MARK not in result.stdout:
            raise RuntimeError(f"PHP failed ({result.returncode}): {result.stdout[-2000:]}{result.stderr[-2000:]}")
        return json.loads(result.stdout.rsplit(RESULT_MARK, 1)[1] or "null")

    def cli_options(self) -> list[str]:
        """PHP CLI options for runs in this shop: OPcache kept in files between runs (a CLI
        run would otherwise compile WordPress and WooCommerce afresh each time)."""
        cache = self.root / "opcache"
        cache.mkdir(exist_ok=True)
        return ["-d", "opcache.enable_cli=1", "-d", f"opcache.file_cache={cache}", "-d", "opcache.file_cache_only=1", "-d", "memory_limit=512M"]

    def run_queue(self, rounds: int = 3) -> int:
        """Run the Action Scheduler queue now (webhook deliveries and other async work), as
        WP-Cron would; again while due actions remain, at most ``rounds`` times. Returns how many
        due actions are left."""
        return int(self.php(
            f"for ( $round = 0; $round < {int(rounds)}; $round++ ) {{\n"
            "  ActionScheduler_QueueRunner::instance()->run( 'realshop' );\n"
            "  $due = count( as_get_scheduled_actions( array( 'status' => 'pending', 'date' => gmdate( 'Y-m-d H:i:s' ), 'date_compare' => '<=', 'per_page' => 50 ), 'ids' ) );\n"
            "  if ( ! $due ) { break; }\n"
            "}\nreturn $due;"
        ))

    def deliver_webhooks(self, rounds: int = 3) -> int:
        """Run only the queue's due webhook deliveries (group ``woocommerce-webhooks``), and those
        they lead to; quicker than :meth:`run_queue`, which runs WooCommerce's other jobs too.
        Returns how many actions ran."""
        return int(self.php(
            "$store = ActionScheduler::store(); $runner = ActionScheduler_QueueRunner::instance(); $ran = 0;\n"
            f"for ( $round = 0; $round < {int(rounds)}; $round++ ) {{\n"
            f"  $claim = $store->stake_claim( 100, null, array(), {json.dumps(WEBHOOK_GROUP)} );\n"
            "  $ids = $claim->get_actions();\n"
            "  foreach ( $ids as $id ) { $runner->process_action( $id, 'realshop' ); $ran++; }\n"
            "  $store->release_claim( $claim );\n"
            "  if ( ! $ids ) { break; }\n"
            "}\nreturn $ran;"
        ))

    def pending_actions(self, hook: str = "") -> list[dict[str, Any]]:
        """Pending Action Scheduler actions (optionally of one hook), with their hook and args."""
        return self.php(
            "$out = array();\n"
            f"foreach ( as_get_scheduled_actions( array( 'status' => 'pending', 'per_page' => 200, 'hook' => {json.dumps(hook)} ) ) as $id => $a ) {{\n"
            "  $out[] = array( 'id' => $id, 'hook' => $a->get_hook(), 'args' => $a->get_args() );\n"
            "}\nreturn $out;"
        )

    def sql(self, query: str) -> list[list[str]]:
        """A query in the shop's database, rows as lists of strings (tab-separated output)."""
        result = subprocess.run(
            ["mariadb", f"--socket={self.socket}", "-u", DB_USER, f"-p{DB_PASSWORD}", "-N", "-B", DB_NAME, "-e", query],
            capture_output=True, text=True, timeout=60, check=True,
        )
        return [line.split("\t") for line in result.stdout.splitlines()]

    def rest(self, method: str, path: str, **kwargs: Any) -> httpx.Response:
        """A request to the shop's REST API as the API key (OAuth 1.0a over plain http), e.g.
        ``rest("POST", "wc/v3/orders", json={...})``; the response as it came."""
        from connect_hub_woocommerce.auth import WooAuth

        kwargs.setdefault("timeout", 60)
        kwargs.setdefault("auth", WooAuth(self.consumer_key, self.consumer_secret))
        return httpx.request(method, f"{self.url}/wp-json/{path.lstrip('/')}", **kwargs)

    def api(self, method: str, path: str, **kwargs: Any) -> Any:
        """Like :meth:`rest` on ``wc/v3``, raising on an error; the JSON answer."""
        response = self.rest(method, f"wc/v3/{path.lstrip('/')}", **kwargs)
        if response.is_error:
            raise AssertionError(f"{method} {path}: {response.status_code} {response.text[:500]}")
        return response.json()

    # -- what tests look at ---------------------------------------------------------------------

    def mails(self) -> list[dict[str, Any]]:
        """The e-mails WordPress would have sent, oldest first (``to``, ``subject``, ``message``)."""
        if not self.mail_dir.is_dir():
            return []
        return [json.loads(p.read_text()) for p in sorted(self.mail_dir.glob("*.json"))]

    def clear_mails(self) -> None:
        for p in self.mail_dir.glob("*.json"):
            p.unlink()

    def debug_messages(self) -> str:
        """What PHP wrote to ``wp-content/debug.log`` so far."""
        return self.debug_log.read_text(errors="replace") if self.debug_log.exists() else ""

    def define(self, name: str, value: Any) -> None:
        """Define a PHP constant for every later request and CLI run (``wp-config`` reads
        ``realshop-extra.php``), e.g. ``define("DISABLE_WP_CRON", False)``."""
        extra = self.root / "realshop-extra.php"
        lines = extra.read_text().splitlines() if extra.exists() else ["<?php"]
        lines = [line for line in lines if f"define( '{name}'," not in line]
        lines.append(f"define( '{name}', {_php_literal(value)} );")
        extra.write_text("\n".join(lines) + "\n")

    # -- the companion plugin ---------------------------------------------------------------------

    def install_companion(self, source: Path = COMPANION, *, activate: bool = True) -> str:
        """Copy the companion plugin into ``wp-content/plugins`` (as uploading its zip would) and
        activate it as wp-admin does (``activate_plugin``: its activation hook runs). Returns the
        plugin's basename."""
        target = self.content / "plugins" / source.name
        if target.exists():
            shutil.rmtree(target)
        shutil.copytree(source, target)
        basename = f"{source.name}/{source.name}.php"
        if activate:
            self.activate_plugin(basename)
        return basename

    def activate_plugin(self, basename: str) -> None:
        error = self.php(
            "require_once ABSPATH . 'wp-admin/includes/plugin.php';\n"
            f"$r = activate_plugin( {json.dumps(basename)} );\n"
            "return is_wp_error( $r ) ? $r->get_error_message() : null;",
            admin=True,
        )
        if error:
            raise RuntimeError(f"activating {basename} failed: {error}")

    def deactivate_plugin(self, basename: str, *, uninstall: bool = False) -> None:
        """Deactivate a plugin as wp-admin does; with ``uninstall``, also delete it as wp-admin's
        "Delete" does (``uninstall.php`` runs).

        Action Scheduler marks its move to its own tables undone at any plugin's deactivation
        (``deactivate_plugin``), which puts it back on the hybrid store that refuses claims by
        group until its next migration run: that run is done here, as WP-Cron would."""
        self.php(
            "require_once ABSPATH . 'wp-admin/includes/plugin.php';\n"
            "require_once ABSPATH . 'wp-admin/includes/file.php';\n"
            f"deactivate_plugins( {json.dumps(basename)} );\n"
            + (f"uninstall_plugin( {json.dumps(basename)} ); delete_plugins( array( {json.dumps(basename)} ) );\n" if uninstall else "")
            + "return null;",
            admin=True,
        )
        self.php(
            "for ( $round = 0; $round < 10 && ! ActionScheduler_DataController::is_migration_complete(); $round++ ) {\n"
            "  ( new Action_Scheduler\\Migration\\Scheduler() )->run_migration();\n"
            "}\nreturn ActionScheduler_DataController::is_migration_complete();"
        )

    # -- lifecycle ------------------------------------------------------------------------------

    def stop(self) -> None:
        """Stop PHP and MariaDB and remove the shop's directory (unless kept)."""
        _stop_process(self._php)
        _stop_process(self._mariadb, timeout=30, signum=signal.SIGKILL)  # its data is thrown away
        if self in _RUNNING:
            _RUNNING.remove(self)
        if not os.environ.get("CONNECT_HUB_REALSHOP_KEEP") and self.root.exists():
            # ~10,000 files: removed by an rm of its own, which need not hold up the tests' end
            # (a directory left by a killed rm goes at the next bring-up, having no live owner).
            subprocess.Popen(["rm", "-rf", str(self.root)], start_new_session=True, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)

    def __enter__(self) -> Self:
        return self

    def __exit__(self, *exc: object) -> None:
        self.stop()


def _php_literal(value: Any) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    return json.dumps(value)


# --- bring-up -------------------------------------------------------------------------------


def bring_up() -> RealShop:
    """A running shop, from the cached install (built first when missing). Raises
    :class:`Unavailable` when the archives or the programs are missing."""
    wordpress, woocommerce = archives()
    lacking = missing_programs()
    if lacking:
        raise Unavailable(lacking)
    _install_cleanup()
    base = _cached_install(wordpress, woocommerce)
    meta = json.loads((base / "meta.json").read_text())
    root = _fresh_root()
    try:
        _copy_tree(base / "docroot", root / "docroot", hard_links=True)
        _copy_tree(base / "mysql", root / "mysql", hard_links=False)
        shop = RealShop(root=root, url="", port=free_port(), db_port=free_port(), consumer_key=meta["consumer_key"], consumer_secret=meta["consumer_secret"], admin_id=meta["admin_id"], versions=meta["versions"])
        shop.url = f"http://127.0.0.1:{shop.port}"
        _RUNNING.append(shop)
        _write_config(shop)
        _add_mu_plugin(shop.docroot)
        _start_mariadb(shop)
        _start_php(shop)
    except BaseException:
        with contextlib.suppress(NameError):
            shop.stop()
        shutil.rmtree(root, ignore_errors=True)
        raise
    return shop


def _fresh_root() -> Path:
    """A new directory for one shop (short path: the MariaDB socket lives in it), readable by
    the database's user."""
    _remove_abandoned_roots()
    root = Path(tempfile.mkdtemp(prefix=ROOT_PREFIX))
    root.chmod(0o755)
    (root / "owner.pid").write_text(str(os.getpid()))
    _chown_tree(root, _db_user())  # its socket, pid and error log go here
    return root


def _remove_abandoned_roots() -> None:
    """Directories of shops whose test process was killed (its processes died with it)."""
    for owner in Path(tempfile.gettempdir()).glob(f"{ROOT_PREFIX}*/owner.pid"):
        with contextlib.suppress(ValueError, OSError):
            pid = int(owner.read_text())
            try:
                os.kill(pid, 0)
            except ProcessLookupError:
                shutil.rmtree(owner.parent, ignore_errors=True)


def _copy_tree(source: Path, target: Path, *, hard_links: bool) -> None:
    """Hard links for the shop's files (never written in place: new files go to new paths),
    a real copy for the database; ``cp -a`` keeps the owner."""
    if hard_links:
        result = subprocess.run(["cp", "-al", str(source), str(target)], capture_output=True, check=False)
        if result.returncode == 0:
            return
        shutil.rmtree(target, ignore_errors=True)
    subprocess.run(["cp", "-a", str(source), str(target)], check=True)


INSTALL_VERSION = "1"
"""Part of the cache key: raise it when what ``_build_install`` does changes."""


def _bring_up_files() -> list[Path]:
    return sorted(PHP_FILES.glob("install-*.php"))


def _cache_key(wordpress: Path, woocommerce: Path) -> str:
    digest = hashlib.sha256(INSTALL_VERSION.encode())
    for path in (wordpress, woocommerce):
        stat = path.stat()
        digest.update(f"{path.resolve()}:{stat.st_size}:{int(stat.st_mtime)}".encode())
    for path in _bring_up_files():
        digest.update(path.read_bytes())
    return digest.hexdigest()[:16]


def _cached_install(wordpress: Path, woocommerce: Path) -> Path:
    """``.cache/realshop/<key>``: the installed files and the stopped database, built once
    (under a lock, so two sessions do not build it twice)."""
    CACHE.mkdir(parents=True, exist_ok=True)
    key = _cache_key(wordpress, woocommerce)
    base = CACHE / key
    with open(CACHE / ".lock", "w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        if (base / "meta.json").exists():
            return base
        for old in CACHE.iterdir():  # installs of other archives or bring-ups
            if old.is_dir() and old.name != key:
                shutil.rmtree(old, ignore_errors=True)
        build = _fresh_root()
        try:
            _build_install(build, wordpress, woocommerce)
            shutil.rmtree(base, ignore_errors=True)
            base.mkdir()
            for part in ("docroot", "mysql", "meta.json"):
                shutil.move(build / part, base / part)  # a rename on one file system
        finally:
            shutil.rmtree(build, ignore_errors=True)
    return base


def _build_install(root: Path, wordpress: Path, woocommerce: Path) -> None:
    docroot = root / "docroot"
    docroot.mkdir()
    subprocess.run(["tar", "-xzf", str(wordpress), "-C", str(docroot), "--strip-components=1"], check=True)
    plugins = docroot / "wp-content" / "plugins"
    subprocess.run(["tar", "-xzf", str(woocommerce), "-C", str(plugins)], check=True)
    if not (plugins / "woocommerce" / "woocommerce.php").exists():
        raise Unavailable(f"{woocommerce} has no woocommerce/woocommerce.php: {HOW_TO_GET}")
    user = _db_user()
    mysql = root / "mysql"
    install = subprocess.run(
        ["mariadb-install-db", f"--datadir={mysql}", "--auth-root-authentication-method=normal", "--skip-test-db", "--skip-name-resolve",
         *([f"--user={user}"] if user else [])],
        capture_output=True, text=True, check=False,
    )
    if install.returncode != 0:
        raise RuntimeError(f"mariadb-install-db failed: {install.stdout[-2000:]}{install.stderr[-2000:]}")
    _chown_tree(mysql, user)
    shop = RealShop(root=root, url="", port=free_port(), db_port=free_port(), consumer_key="ck_" + secrets.token_hex(20), consumer_secret="cs_" + secrets.token_hex(20))
    shop.url = f"http://127.0.0.1:{shop.port}"
    _RUNNING.append(shop)
    try:
        _start_mariadb(shop)
        subprocess.run(
            ["mariadb", f"--socket={shop.socket}", "-u", "root", "-e", (
                f"CREATE DATABASE {DB_NAME} CHARACTER SET utf8mb4; CREATE USER '{DB_USER}'@'%' IDENTIFIED BY '{DB_PASSWORD}'; "
                f"CREATE USER '{DB_USER}'@'localhost' IDENTIFIED BY '{DB_PASSWORD}'; "
                f"GRANT ALL ON {DB_NAME}.* TO '{DB_USER}'@'%'; GRANT ALL ON {DB_NAME}.* TO '{DB_USER}'@'localhost';"
            )],
            check=True, capture_output=True, timeout=60,
        )
        _write_config(shop)
        _add_mu_plugin(docroot)
        env = {**os.environ, "REALSHOP_HOST": f"127.0.0.1:{shop.port}", "REALSHOP_ADMIN_USER": ADMIN_USER, "REALSHOP_ADMIN_PASSWORD": ADMIN_PASSWORD,
               "REALSHOP_ADMIN_EMAIL": ADMIN_EMAIL, "REALSHOP_CONSUMER_KEY": shop.consumer_key, "REALSHOP_CONSUMER_SECRET": shop.consumer_secret}
        first = _php_step(PHP_FILES / "install-wordpress.php", docroot, env)
        env["REALSHOP_ADMIN_ID"] = str(first["user_id"])
        versions = _php_step(PHP_FILES / "install-woocommerce.php", docroot, env)
        if not versions.get("hpos") or not versions.get("queue"):
            raise RuntimeError(f"WooCommerce did not switch HPOS on or Action Scheduler did not move to its tables: {versions}")
    finally:  # a clean shutdown: the stopped data directory becomes the cache
        subprocess.run(["mariadb-admin", f"--socket={root / 'mysql.sock'}", "-u", "root", "shutdown"], capture_output=True, timeout=60, check=False)
        _stop_process(shop._mariadb, timeout=60)
        _RUNNING.remove(shop)
    for leftover in ("wp-config.php", "wp-content/debug.log", "wp-content/mu-plugins/realshop.php"):
        (docroot / leftover).unlink(missing_ok=True)
    shutil.rmtree(docroot / "wp-content" / "realshop-mail", ignore_errors=True)
    (root / "meta.json").write_text(json.dumps({
        "consumer_key": shop.consumer_key, "consumer_secret": shop.consumer_secret, "admin_id": first["user_id"], "versions": versions,
    }))


def _php_step(script: Path, docroot: Path, env: dict[str, str]) -> dict[str, Any]:
    result = subprocess.run(["php", str(script), str(docroot)], capture_output=True, text=True, env=env, timeout=300, check=False, cwd=docroot)
    output = result.stdout.strip().splitlines()
    if result.returncode != 0 or not output:
        raise RuntimeError(f"{script.name} failed ({result.returncode}): {result.stdout[-3000:]}{result.stderr[-3000:]}")
    return json.loads(output[-1])


def _add_mu_plugin(docroot: Path) -> None:
    """The must-use plugin, fresh in every shop (not cached: it is the tests' own file)."""
    target = docroot / "wp-content" / "mu-plugins" / "realshop.php"
    target.parent.mkdir(exist_ok=True)
    target.unlink(missing_ok=True)
    shutil.copy(PHP_FILES / "realshop-mu-plugin.php", target)


def _write_config(shop: RealShop) -> None:
    """A ``wp-config.php`` of this shop's own (a new file, never the cached one's inode)."""
    config = shop.docroot / "wp-config.php"
    config.unlink(missing_ok=True)
    salts = "\n".join(f"define( '{name}', '{secrets.token_hex(32)}' );" for name in (
        "AUTH_KEY", "SECURE_AUTH_KEY", "LOGGED_IN_KEY", "NONCE_KEY", "AUTH_SALT", "SECURE_AUTH_SALT", "LOGGED_IN_SALT", "NONCE_SALT"))
    config.write_text(f"""<?php
// Written by tests/realshop/shop.py for one test shop.
define( 'DB_NAME', '{DB_NAME}' );
define( 'DB_USER', '{DB_USER}' );
define( 'DB_PASSWORD', '{DB_PASSWORD}' );
define( 'DB_HOST', '127.0.0.1:{shop.db_port}' );
define( 'DB_CHARSET', 'utf8mb4' );
define( 'DB_COLLATE', '' );
{salts}
$table_prefix = 'wp_';
if ( is_file( {json.dumps(str(shop.root / 'realshop-extra.php'))} ) ) {{
	require {json.dumps(str(shop.root / 'realshop-extra.php'))};
}}
define( 'WP_HOME', '{shop.url}' );
define( 'WP_SITEURL', '{shop.url}' );
defined( 'WP_DEBUG' ) || define( 'WP_DEBUG', true );
defined( 'WP_DEBUG_LOG' ) || define( 'WP_DEBUG_LOG', true );
defined( 'WP_DEBUG_DISPLAY' ) || define( 'WP_DEBUG_DISPLAY', false );
defined( 'WP_HTTP_BLOCK_EXTERNAL' ) || define( 'WP_HTTP_BLOCK_EXTERNAL', true );
defined( 'AUTOMATIC_UPDATER_DISABLED' ) || define( 'AUTOMATIC_UPDATER_DISABLED', true );
defined( 'WP_AUTO_UPDATE_CORE' ) || define( 'WP_AUTO_UPDATE_CORE', false );
defined( 'DISABLE_WP_CRON' ) || define( 'DISABLE_WP_CRON', true );
defined( 'WP_ENVIRONMENT_TYPE' ) || define( 'WP_ENVIRONMENT_TYPE', 'local' );
if ( ! defined( 'ABSPATH' ) ) {{
	define( 'ABSPATH', __DIR__ . '/' );
}}
require_once ABSPATH . 'wp-settings.php';
""")


def _start_mariadb(shop: RealShop) -> None:
    user = _db_user()
    log = open(shop.root / "mariadb.log", "ab")  # noqa: SIM115 - the child keeps it
    shop._mariadb = subprocess.Popen(
        ["mariadbd", "--no-defaults", f"--datadir={shop.root / 'mysql'}", f"--socket={shop.socket}", f"--port={shop.db_port}",
         "--bind-address=127.0.0.1", f"--pid-file={shop.root / 'mariadb.pid'}", "--skip-name-resolve", "--innodb-buffer-pool-size=64M",
         "--innodb-log-file-size=16M", "--innodb-flush-log-at-trx-commit=0", "--skip-log-bin", "--max-connections=50", f"--log-error={shop.root / 'mariadb.err'}"],
        stdout=log, stderr=subprocess.STDOUT, preexec_fn=_child_setup(user), cwd=shop.root,  # noqa: PLW1509 - setuid, then the death signal (which a setuid clears)
    )
    log.close()
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        if shop._mariadb.poll() is not None:
            raise RuntimeError(f"MariaDB exited: {_tail(shop.root / 'mariadb.err')}")
        ping = subprocess.run(["mariadb-admin", f"--socket={shop.socket}", "-u", "root", "ping"], capture_output=True, text=True, check=False)
        if ping.returncode == 0:
            return
        time.sleep(0.1)
    raise RuntimeError(f"MariaDB did not start in 60 s: {_tail(shop.root / 'mariadb.err')}")


def _start_php(shop: RealShop) -> None:
    log = open(shop.root / "php-server.log", "ab")  # noqa: SIM115 - the child keeps it
    # PHP forks its workers, which the parent-death signal does not reach: a shell in front
    # gets it instead and takes the whole process group with it.
    command = ["php", "-S", f"127.0.0.1:{shop.port}", "-t", str(shop.docroot), str(PHP_FILES / "router.php")]
    shop._php = subprocess.Popen(
        ["sh", "-c", 'trap "trap - TERM; kill 0" TERM; "$@" & wait', "php-server", *command],
        env={**os.environ, "PHP_CLI_SERVER_WORKERS": "4"}, stdout=log, stderr=subprocess.STDOUT,
        preexec_fn=_child_setup(None), cwd=shop.docroot,  # noqa: PLW1509 - the death signal needs it
    )
    log.close()
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        if shop._php.poll() is not None:
            raise RuntimeError(f"PHP's server exited: {_tail(shop.root / 'php-server.log')}")
        with contextlib.suppress(httpx.HTTPError):
            if httpx.get(f"{shop.url}/wp-json/", timeout=10).status_code == 200:
                return
        time.sleep(0.1)
    raise RuntimeError(f"WordPress did not answer in 60 s: {_tail(shop.root / 'php-server.log')}")


def _tail(path: Path) -> str:
    return path.read_text(errors="replace")[-2000:] if path.exists() else "(no log)"
