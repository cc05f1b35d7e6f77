//! Every capacity of keepalived-rs, in one place.
//!
//! The daemon sizes its runtime tables from the loaded configuration and never grows them
//! afterwards, so each table has a ceiling. A configuration that exceeds one is rejected at
//! load time with an error that names the limit. The values are generous for an appliance:
//! a large load-balancer pair, not a toy, fits well inside them.

/// Longest logical configuration line, in bytes. keepalived itself splits lines at 1023 bytes.
pub const MAX_LINE_LEN: usize = 16 * 1024;
/// Bytes of a configuration file read at a time (files are read line by line, so their size
/// does not bound memory).
pub const CONFIG_READ_BUFFER: usize = 64 * 1024;
/// Deepest nesting of `include` directives (the main file is depth 1).
pub const MAX_INCLUDE_DEPTH: usize = 16;
/// Most files a whole configuration may consist of, main file and includes together.
pub const MAX_CONFIG_FILES: usize = 4096;
/// Most `$NAME` substitutions performed while expanding one line (stops recursive definitions).
pub const MAX_SUBSTITUTIONS_PER_LINE: usize = 1024;
/// Deepest nesting of `~SEQ`/`~LST` and multi-line definitions being expanded at once.
pub const MAX_EXPANSION_DEPTH: usize = 32;
/// Most lines `~SEQ`/`~LST` and multi-line definitions may generate over a whole configuration
/// (stops self-referencing definitions from producing lines forever).
pub const MAX_EXPANDED_LINES: usize = 1_000_000;

/// Most `vrrp_instance` blocks.
pub const MAX_VRRP_INSTANCES: usize = 1024;
/// Most addresses in one instance's `virtual_ipaddress` (the VRRP count field is 8 bits).
pub const MAX_VIPS_PER_INSTANCE: usize = 255;
/// Most addresses in one instance's `virtual_ipaddress_excluded`.
pub const MAX_EVIPS_PER_INSTANCE: usize = 1024;
/// Most routes, and most rules, in one instance (`virtual_routes`, `virtual_rules`).
pub const MAX_ROUTES_PER_INSTANCE: usize = 256;
/// Most `unicast_peer` entries in one instance.
pub const MAX_UNICAST_PEERS: usize = 64;
/// Most tracked objects (interfaces, scripts, files, processes) referenced by one instance or group.
pub const MAX_TRACKS_PER_INSTANCE: usize = 64;
/// Most `vrrp_sync_group` blocks.
pub const MAX_SYNC_GROUPS: usize = 256;
/// Most `vrrp_script` blocks.
pub const MAX_VRRP_SCRIPTS: usize = 256;
/// Most `track_file` blocks.
pub const MAX_TRACK_FILES: usize = 256;
/// Most `vrrp_track_process` blocks.
pub const MAX_TRACK_PROCESSES: usize = 256;
/// Most entries in `static_ipaddress`, `static_routes` and `static_rules`, each.
pub const MAX_STATIC_ENTRIES: usize = 1024;

/// Most `virtual_server` blocks.
pub const MAX_VIRTUAL_SERVERS: usize = 1024;
/// Most `virtual_server_group` blocks.
pub const MAX_VS_GROUPS: usize = 256;
/// Most entries (addresses, ranges, fwmarks) in one `virtual_server_group`.
pub const MAX_VSG_ENTRIES: usize = 1024;
/// Most addresses (one IPVS service each) over the ranges of one `virtual_server_group`.
pub const MAX_VSG_ADDRESSES: usize = 65_536;
/// Most `real_server` blocks in one virtual server.
pub const MAX_REAL_SERVERS_PER_VS: usize = 1024;
/// Most real servers over all virtual servers.
pub const MAX_REAL_SERVERS: usize = 16_384;
/// Most health checkers over the whole configuration.
pub const MAX_CHECKERS: usize = 16_384;
/// Most checkers on one real server.
pub const MAX_CHECKERS_PER_RS: usize = 16;
/// Most `url` blocks in one HTTP_GET/SSL_GET checker.
pub const MAX_URLS_PER_CHECKER: usize = 32;

/// Most words in a script command line (`notify`, `script`, `misc_path` ...).
pub const MAX_SCRIPT_ARGS: usize = 64;
/// Most recipients in `notification_email`.
pub const MAX_EMAIL_RECIPIENTS: usize = 32;

/// Most script processes running at once (tracking scripts, notify scripts still running,
/// FIFO readers, start-up and shut-down scripts): the child table's size. A spawn beyond it
/// is refused and logged.
pub const MAX_SCRIPT_CHILDREN: usize = 1024;
/// Processes one `vrrp_track_process` can count, unless its `quorum`/`quorum_max` needs more
/// (then one beyond them, enough to see the quorum exceeded).
pub const TRACK_PROCESS_PIDS: usize = 1024;

/// Most `nexthop` entries in one route (a multipath route is one netlink message).
pub const MAX_NEXTHOPS_PER_ROUTE: usize = 32;

/// Actions one call into the VRRP core may push, per instance, sync group or tracking script
/// (a state change with its log lines, addresses, GARPs and notifications, more than twice
/// over for a sync group's cascade), on top of a fixed base: the runtime sizes its
/// `vrrp::action::Actions` list with `Router::action_capacity()`, computed from these.
pub const VRRP_ACTIONS_PER_OBJECT: usize = 48;
pub const VRRP_ACTIONS_BASE: usize = 64;
/// Most gratuitous ARPs / unsolicited NAs waiting for their interface's
/// `vrrp_garp_interval` / `vrrp_gna_interval` at once (`net::garp::Pacer`); more are counted
/// and not sent.
pub const MAX_GARP_QUEUE: usize = 16_384;

/// Most file descriptors the poll loop watches besides its own signalfd
/// (sockets, netlink, script pipes, inotify ...); the runtime sizes the loop at start-up.
pub const MAX_LOOP_FDS: usize = 4096;
/// Longest log line, in bytes, before the syslog header; longer lines are cut (keepalived's
/// own buffer is smaller).
pub const MAX_LOG_LINE: usize = 2048;

/// Most network interfaces the daemon follows in its namespace (VRRP's own and any other);
/// more are ignored and counted.
pub const MAX_INTERFACES: usize = 1024;

/// Most IPVS services the daemon programs: every `virtual_server`, every address of a
/// `virtual_server_group` range and every group fwmark, over the whole configuration.
pub const MAX_IPVS_SERVICES: usize = 65_536;
/// Most IPVS destinations the daemon programs: each service's real servers and sorry server,
/// over all services (a group's real servers count once per address of the group).
pub const MAX_IPVS_DESTS: usize = 262_144;
/// Actions one call into the checker core may push, per checker (an attempt's end with
/// its log lines, the real server's change and notification, the next probe), on top of a
/// fixed base: the runtime sizes its `check::Actions` with `Checkers::action_capacity()`.
pub const CHECK_ACTIONS_PER_CHECKER: usize = 8;
pub const CHECK_ACTIONS_BASE: usize = 64;
/// Longest HTTP response header block a checker reads; longer fails the check.
pub const HTTP_MAX_HEADER: usize = 8 * 1024;
/// Longest HTTP response body a checker reads; longer (or endless) fails the check.
pub const HTTP_MAX_BODY: usize = 1024 * 1024;
/// Longest SMTP reply line a checker reads (keepalived's SMTP_BUFF_MAX is 512).
pub const SMTP_MAX_LINE: usize = 512;
/// Bytes of the random payload a UDP_CHECK without `payload` sends.
pub const UDP_RANDOM_PAYLOAD: usize = 16;
/// The longest a checker's attempt may last, in connect_timeouts: each step of a dialogue
/// (connect, every read) has connect_timeout, as in keepalived, but a server trickling
/// bytes cannot hold an attempt open longer than this many.
pub const CHECK_ATTEMPT_TIMEOUTS: usize = 4;
/// Bytes of the buffer the runtime reads probe sockets into.
pub const PROBE_RECV_BUFFER: usize = 16 * 1024;
/// Largest file of the `SSL` block (CA, certificate chain, key) read at load time.
pub const SSL_MAX_FILE: usize = 1024 * 1024;
/// Bytes of the window a url's `regex` is matched in as the response streams through:
/// a match up to half of it long is found wherever the reads cut the response
/// (keepalived keeps up to its 4 KiB read buffer of a partial match).
pub const REGEX_WINDOW: usize = 16 * 1024;

/// All capacities as (name, value) for `-d` and the documentation.
pub const ALL: &[(&str, usize)] = &[
    ("MAX_LINE_LEN", MAX_LINE_LEN),
    ("MAX_INCLUDE_DEPTH", MAX_INCLUDE_DEPTH),
    ("MAX_CONFIG_FILES", MAX_CONFIG_FILES),
    ("MAX_SUBSTITUTIONS_PER_LINE", MAX_SUBSTITUTIONS_PER_LINE),
    ("MAX_EXPANSION_DEPTH", MAX_EXPANSION_DEPTH),
    ("MAX_EXPANDED_LINES", MAX_EXPANDED_LINES),
    ("MAX_VRRP_INSTANCES", MAX_VRRP_INSTANCES),
    ("MAX_VIPS_PER_INSTANCE", MAX_VIPS_PER_INSTANCE),
    ("MAX_EVIPS_PER_INSTANCE", MAX_EVIPS_PER_INSTANCE),
    ("MAX_ROUTES_PER_INSTANCE", MAX_ROUTES_PER_INSTANCE),
    ("MAX_UNICAST_PEERS", MAX_UNICAST_PEERS),
    ("MAX_TRACKS_PER_INSTANCE", MAX_TRACKS_PER_INSTANCE),
    ("MAX_SYNC_GROUPS", MAX_SYNC_GROUPS),
    ("MAX_VRRP_SCRIPTS", MAX_VRRP_SCRIPTS),
    ("MAX_TRACK_FILES", MAX_TRACK_FILES),
    ("MAX_TRACK_PROCESSES", MAX_TRACK_PROCESSES),
    ("MAX_STATIC_ENTRIES", MAX_STATIC_ENTRIES),
    ("MAX_VIRTUAL_SERVERS", MAX_VIRTUAL_SERVERS),
    ("MAX_VS_GROUPS", MAX_VS_GROUPS),
    ("MAX_VSG_ENTRIES", MAX_VSG_ENTRIES),
    ("MAX_VSG_ADDRESSES", MAX_VSG_ADDRESSES),
    ("MAX_REAL_SERVERS_PER_VS", MAX_REAL_SERVERS_PER_VS),
    ("MAX_REAL_SERVERS", MAX_REAL_SERVERS),
    ("MAX_CHECKERS", MAX_CHECKERS),
    ("MAX_CHECKERS_PER_RS", MAX_CHECKERS_PER_RS),
    ("MAX_URLS_PER_CHECKER", MAX_URLS_PER_CHECKER),
    ("MAX_SCRIPT_ARGS", MAX_SCRIPT_ARGS),
    ("MAX_EMAIL_RECIPIENTS", MAX_EMAIL_RECIPIENTS),
    ("MAX_SCRIPT_CHILDREN", MAX_SCRIPT_CHILDREN),
    ("TRACK_PROCESS_PIDS", TRACK_PROCESS_PIDS),
    ("MAX_NEXTHOPS_PER_ROUTE", MAX_NEXTHOPS_PER_ROUTE),
    ("VRRP_ACTIONS_PER_OBJECT", VRRP_ACTIONS_PER_OBJECT),
    ("VRRP_ACTIONS_BASE", VRRP_ACTIONS_BASE),
    ("MAX_GARP_QUEUE", MAX_GARP_QUEUE),
    ("MAX_LOOP_FDS", MAX_LOOP_FDS),
    ("MAX_LOG_LINE", MAX_LOG_LINE),
    ("MAX_INTERFACES", MAX_INTERFACES),
    ("MAX_IPVS_SERVICES", MAX_IPVS_SERVICES),
    ("MAX_IPVS_DESTS", MAX_IPVS_DESTS),
    ("CHECK_ACTIONS_PER_CHECKER", CHECK_ACTIONS_PER_CHECKER),
    ("CHECK_ACTIONS_BASE", CHECK_ACTIONS_BASE),
    ("HTTP_MAX_HEADER", HTTP_MAX_HEADER),
    ("HTTP_MAX_BODY", HTTP_MAX_BODY),
    ("SMTP_MAX_LINE", SMTP_MAX_LINE),
    ("UDP_RANDOM_PAYLOAD", UDP_RANDOM_PAYLOAD),
    ("CHECK_ATTEMPT_TIMEOUTS", CHECK_ATTEMPT_TIMEOUTS),
    ("PROBE_RECV_BUFFER", PROBE_RECV_BUFFER),
    ("SSL_MAX_FILE", SSL_MAX_FILE),
    ("REGEX_WINDOW", REGEX_WINDOW),
];

/// Bytes of the buffer netlink answers and events are read into: the kernel never sends a
/// datagram larger than 32 KiB to a reader offering that much.
pub const NL_RECV_BUFFER: usize = 32 * 1024;
/// Bytes of the buffer one rtnetlink request is built in (a route with
/// `MAX_NEXTHOPS_PER_ROUTE` nexthops, each with an encapsulation, takes about 4 KiB).
pub const NL_SEND_BUFFER: usize = 8 * 1024;
/// Bytes the kernel may queue on the monitor socket before it drops events (then the
/// daemon dumps links and addresses again).
pub const NL_MONITOR_QUEUE: usize = 1024 * 1024;
/// Bytes of the buffer one nf_tables batch is built in: the tables, chains, sets and rules
/// (about 3 KiB) and the elements of one instance's VIPs and eVIPs (at most 44 bytes each:
/// `MAX_VIPS_PER_INSTANCE + MAX_EVIPS_PER_INSTANCE` take about 56 KiB).
pub const NFT_BATCH_BUFFER: usize = 96 * 1024;
/// Bytes the kernel may queue on the nf_tables socket: the acknowledgements of one batch.
pub const NFT_ANSWER_QUEUE: usize = 256 * 1024;
