//! Builds the block tree from logical lines, driven by the keyword tables in `schema`,
//! with keepalived's block rules and messages (missing/unexpected braces, unknown keywords).

use std::fmt;
use std::ops::{Deref, Range};

use super::diag::{Level, Loc};
use super::line_text::LineText;
use super::reader::{Line, Reader};
use super::schema::{self, Kind, Kw, Support};
use super::words::{WordIter, Words};

/// One keyword line as kept in its root's [`Tree`]; a [`Node`] adds what belongs to it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Keyword {
    /// The keyword as the schema spells it.
    pub kw: &'static str,
    /// The keyword line as read (for script command lines with quotes and escapes).
    pub raw: LineText,
    /// The words after the keyword, as positions in `raw`.
    args: Words,
    pub loc: Loc,
    /// Where the block or list ended (its `}` or the end of the configuration).
    pub end: Loc,
    /// Keywords of a `Kind::Block`, in `Tree::keywords`.
    children: Range<usize>,
    /// Lines of a `Kind::Values` list, in `Tree::lines`.
    values: Range<usize>,
}

impl Keyword {
    fn new(kw: &'static str, raw: LineText, args: Words, loc: Loc) -> Keyword {
        Keyword {
            kw,
            raw,
            args,
            loc,
            end: loc,
            children: 0..0,
            values: 0..0,
        }
    }

    /// Word `i` after the keyword.
    pub fn arg(&self, i: usize) -> Option<&str> {
        self.args.get(&self.raw, i)
    }

    /// The words after the keyword.
    pub fn args(&self) -> WordIter<'_> {
        self.args.iter(&self.raw)
    }

    /// How many words follow the keyword.
    pub fn nargs(&self) -> usize {
        self.args.len()
    }
}

/// One top-level block: its keywords and list lines in two arrays (the children of a block
/// are side by side), so that reading a block allocates nothing once the arrays have grown.
#[derive(Debug, Default)]
pub struct Tree {
    keywords: Vec<Keyword>,
    lines: Vec<Line>,
}

impl Tree {
    /// The top-level node (the keyword added last).
    pub fn root(&self) -> Option<Node<'_>> {
        self.keywords.last().map(|k| Node { tree: self, k })
    }

    /// A tree of one keyword line for tests: `raw` is the whole line, its first word the
    /// keyword.
    #[cfg(test)]
    pub fn from_line(kw: &'static str, raw: &str, loc: Loc) -> Tree {
        let (mut args, _) = super::text::tokenize(raw);
        args.remove_first();
        Tree {
            keywords: vec![Keyword::new(kw, LineText::new(raw), args, loc)],
            lines: Vec::new(),
        }
    }
}

/// A keyword line of a tree with what belongs to it; its fields are the [`Keyword`]'s.
#[derive(Clone, Copy)]
pub struct Node<'t> {
    tree: &'t Tree,
    k: &'t Keyword,
}

impl<'t> Node<'t> {
    /// Word `i` after the keyword (as [`Keyword::arg`], for as long as the tree).
    pub fn arg(&self, i: usize) -> Option<&'t str> {
        self.k.arg(i)
    }

    /// The words after the keyword.
    pub fn args(&self) -> WordIter<'t> {
        self.k.args()
    }

    /// The keywords of a `Kind::Block`.
    pub fn children(&self) -> impl ExactSizeIterator<Item = Node<'t>> + DoubleEndedIterator {
        let tree = self.tree;
        let list = tree
            .keywords
            .get(self.k.children.clone())
            .unwrap_or_default();
        list.iter().map(move |k| Node { tree, k })
    }

    /// The lines of a `Kind::Values` list.
    pub fn values(&self) -> &'t [Line] {
        self.tree
            .lines
            .get(self.k.values.clone())
            .unwrap_or_default()
    }
}

impl Deref for Node<'_> {
    type Target = Keyword;
    fn deref(&self) -> &Keyword {
        self.k
    }
}

impl fmt::Debug for Node<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Node")
            .field("keyword", self.k)
            .field("children", &self.children().collect::<Vec<_>>())
            .field("values", &self.values())
            .finish()
    }
}

/// Reads the configuration root by root, so that only one top-level block is in memory at
/// a time. Its arrays are kept from one root to the next.
#[derive(Default)]
pub struct Roots {
    tree: Tree,
    /// The children of the blocks being read, innermost last; a block's are moved into the
    /// tree, side by side, when it closes.
    open: Vec<Keyword>,
}

impl Roots {
    /// The next top-level node, or None at the end of the configuration.
    pub fn next(&mut self, reader: &mut Reader) -> Option<Node<'_>> {
        self.tree.keywords.clear();
        self.tree.lines.clear();
        let mut p = Parser { r: reader, s: self };
        let mut need_bob = false;
        loop {
            match p.item(schema::ROOT, &mut need_bob, 0) {
                Item::Keyword => break,
                Item::Skip => {}
                Item::End(_) | Item::Eof => return None,
            }
        }
        let root = self.open.pop()?;
        self.tree.keywords.push(root);
        self.tree.root()
    }
}

/// After the last root: reports blocks left open, as keepalived does at the end of the
/// file, at the place of the outermost one (keepalived gives no place).
pub fn finish(reader: &mut Reader) {
    if let Some(&first) = reader.open_blocks().first() {
        let depth = reader.open_blocks().len();
        let msg = format!("There are {depth} missing '}}'s or extra '{{'s");
        reader.diags.report(first, Level::MissingEob, msg);
    }
}

/// Reads the whole configuration, a tree per top-level block.
pub fn parse(reader: &mut Reader) -> Vec<Tree> {
    let mut roots = Roots::default();
    let mut trees = Vec::new();
    while roots.next(reader).is_some() {
        trees.push(std::mem::take(&mut roots.tree));
    }
    finish(reader);
    trees
}

struct Parser<'r, 'd> {
    r: &'r mut Reader<'d>,
    s: &'r mut Roots,
}

/// What one line contributed to a block.
enum Item {
    /// A keyword, added to the open block's children.
    Keyword,
    /// A line that adds nothing (reported, or a brace).
    Skip,
    /// The block's closing `}`.
    End(Loc),
    Eof,
}

impl Parser<'_, '_> {
    /// keepalived's `process_stream()`: reads keywords of `tables` until the closing `}`
    /// (for nested levels) or the end of the configuration.
    fn block(
        &mut self,
        tables: &'static [&'static [Kw]],
        mut need_bob: bool,
        level: usize,
    ) -> (Range<usize>, Loc) {
        let start = self.s.open.len();
        let end = loop {
            match self.item(tables, &mut need_bob, level) {
                Item::Keyword | Item::Skip => {}
                Item::End(loc) => break loc,
                Item::Eof => break self.r.loc(),
            }
        };
        let keywords = &mut self.s.tree.keywords;
        let first = keywords.len();
        keywords.extend(self.s.open.drain(start..));
        (first..keywords.len(), end)
    }

    /// One line of a keyword block.
    fn item(
        &mut self,
        tables: &'static [&'static [Kw]],
        need_bob: &mut bool,
        level: usize,
    ) -> Item {
        if *need_bob && level > 0 && self.r.take_open_brace() {
            *need_bob = false;
            return Item::Skip;
        }
        let Some(line) = self.r.next_line() else {
            return Item::Eof;
        };
        let Some(first) = line.first() else {
            return Item::Skip;
        };
        if *need_bob {
            *need_bob = false;
            if first == "{" && level > 0 {
                return Item::Skip;
            }
            self.r.report(
                Level::MissingBob,
                "Missing '{' at beginning of configuration block",
            );
        } else if first == "{" {
            self.r
                .report(Level::UnexpectedBob, "Unexpected '{' - ignoring");
            return Item::Skip;
        }
        if first == "}" && level > 0 {
            return Item::End(line.loc);
        }
        let Some(kw) = schema::find(tables, first) else {
            self.r
                .report(Level::UnknownKeyword, format!("Unknown keyword '{first}'"));
            return Item::Skip;
        };
        if kw.support == Support::No {
            self.r.report(
                Level::Info,
                format!(
                    "'{}' is not supported by keepalived-rs - ignoring it",
                    kw.name
                ),
            );
        }
        self.keyword(kw, line, level);
        Item::Keyword
    }

    /// Adds the keyword of `line`, with its block or list, to the open block's children.
    fn keyword(&mut self, kw: Kw, line: Line, level: usize) {
        let (raw, mut words, loc) = line.into_parts();
        words.remove_first();
        let mut node = Keyword::new(kw.name, raw, words, loc);
        match kw.kind {
            Kind::Leaf => self.parse_time_directive(&node),
            Kind::Block(sub) => {
                let need_bob = node.args().next_back() != Some("{");
                if !need_bob {
                    node.args.pop();
                }
                (node.children, node.end) = self.block(sub, need_bob, level + 1);
            }
            Kind::Values | Kind::NamedValues => {
                let keep = usize::from(kw.kind == Kind::NamedValues);
                let start = self.s.tree.lines.len();
                node.end = self.values(kw.name, &mut node, keep);
                node.values = start..self.s.tree.lines.len();
            }
        }
        self.s.open.push(node);
    }

    /// Keywords that act while the configuration is being read, as in keepalived.
    fn parse_time_directive(&mut self, node: &Keyword) {
        match node.kw {
            "include_check" => self.r.set_include_check(node.args()),
            "random_seed" => {
                if let Some(seed) = node.arg(0).and_then(|s| s.parse::<u64>().ok()) {
                    self.r.set_random_seed(seed);
                }
            }
            _ => {}
        }
    }

    /// keepalived's `alloc_value_block()`: the lines of a `{ ... }` list, added to the tree.
    /// Words after the keyword (and after its name, for named lists) other than `{` are
    /// reported and dropped; words after such a `{` are the first value line.
    fn values(&mut self, kw: &str, node: &mut Keyword, keep: usize) -> Loc {
        let lines = &mut self.s.tree.lines;
        let mut need_bob = true;
        let loc = self.r.loc();
        if let Some(extra) = node.arg(keep) {
            if extra == "{" {
                need_bob = false;
                // The words after the `{` are the first value line; they leave the node.
                let mut words = node.args.clone();
                for _ in 0..=keep {
                    words.remove_first();
                }
                for _ in keep..node.nargs() {
                    node.args.pop();
                }
                let mut first = Line::new(node.raw.clone(), words, loc);
                let closed = first.last() == Some("}");
                if closed {
                    first.drop_last_word();
                }
                if !first.is_empty() {
                    lines.push(first);
                }
                if closed {
                    return loc;
                }
            } else {
                let msg = format!("Block {kw} has extra parameters {extra} ...");
                self.r.report(Level::GeneralError, msg);
            }
        }
        if need_bob && self.r.take_open_brace() {
            need_bob = false;
        }
        while let Some(mut line) = self.r.next_line() {
            if line.is_empty() {
                continue;
            }
            if need_bob {
                need_bob = false;
                if line.first() == Some("{") {
                    if line.len() == 1 {
                        continue;
                    }
                    line.drop_first_word();
                } else {
                    self.r.report(
                        Level::Info,
                        format!("'{{' missing from beginning of block {kw}"),
                    );
                }
            }
            let closed = line.last() == Some("}");
            if closed {
                if line.len() == 1 {
                    return line.loc;
                }
                line.drop_last_word();
            }
            let end = line.loc;
            lines.push(line);
            if closed {
                return end;
            }
        }
        self.r.loc()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::config::diag::Diagnostics;

    pub fn parse_text(text: &str) -> (Vec<Tree>, Diagnostics) {
        let dir = std::env::temp_dir().join(format!(
            "ka-parse-{}-{:?}",
            std::process::id(),
            std::thread::current().id()
        ));
        std::fs::create_dir_all(&dir).unwrap();
        let path = dir.join("keepalived.conf");
        std::fs::write(&path, text).unwrap();
        let mut d = Diagnostics::default();
        let nodes = {
            let mut r = Reader::open(&mut d, path.to_str().unwrap(), "node", 0, 1);
            parse(&mut r)
        };
        std::fs::remove_dir_all(&dir).unwrap();
        (nodes, d)
    }

    fn roots(trees: &[Tree]) -> Vec<Node<'_>> {
        trees.iter().filter_map(Tree::root).collect()
    }

    fn child<'t>(n: &Node<'t>, i: usize) -> Node<'t> {
        n.children().nth(i).unwrap()
    }

    fn msgs(d: &Diagnostics) -> Vec<(u32, &str)> {
        d.list
            .iter()
            .map(|x| (x.loc.line, x.msg.as_str()))
            .collect()
    }

    #[test]
    fn nested_blocks_and_lists() {
        let (t, d) = parse_text(
            "global_defs {\n router_id R1\n}\nvrrp_instance VI_1 {\n state MASTER\n virtual_ipaddress {\n  10.0.0.1/24 dev eth0\n  10.0.0.2\n }\n authentication { auth_type PASS\n auth_pass x }\n}\n",
        );
        assert!(d.list.is_empty(), "{:?}", d.list);
        let n = roots(&t);
        assert_eq!(n.len(), 2);
        assert_eq!(child(&n[0], 0).args().collect::<Vec<_>>(), ["R1"]);
        let vi = &n[1];
        assert_eq!(
            (vi.kw, vi.args().collect::<Vec<_>>()),
            ("vrrp_instance", vec!["VI_1"])
        );
        assert_eq!(child(vi, 1).values().len(), 2);
        assert_eq!(
            child(vi, 1).values()[0].words().collect::<Vec<_>>(),
            ["10.0.0.1/24", "dev", "eth0"]
        );
        assert_eq!(child(vi, 2).children().len(), 2);
        assert_eq!(vi.end.line, 12);
    }

    #[test]
    fn unknown_block_cascades_like_keepalived() {
        // The unknown block's `}` closes vrrp_instance, so virtual_router_id lands at the top.
        let (t, d) =
            parse_text("vrrp_instance VI_1 {\n foo {\n  bar 1\n }\n virtual_router_id 5\n}\n");
        assert_eq!(roots(&t)[0].children().len(), 0);
        assert_eq!(
            msgs(&d),
            [
                (2, "Unknown keyword 'foo'"),
                (2, "Unexpected '{' - ignoring"),
                (3, "Unknown keyword 'bar'"),
                (5, "Unknown keyword 'virtual_router_id'"),
                (6, "Unknown keyword '}'"),
            ]
        );
        assert_eq!(d.exit_code(), 5);
    }

    #[test]
    fn missing_braces() {
        let (_, d) = parse_text("vrrp_instance VI_1\n interface eth0\n}\n");
        assert_eq!(
            msgs(&d)[0],
            (2, "Missing '{' at beginning of configuration block")
        );
        let (_, d) = parse_text("vrrp_instance VI_1 {\n interface eth0\n");
        assert_eq!(msgs(&d), [(1, "There are 1 missing '}'s or extra '{'s")]);
    }

    #[test]
    fn one_line_blocks_and_double_close() {
        let (t, d) =
            parse_text("vrrp_instance Y { interface eth0\nvirtual_ipaddress { 10.1.1.1 }}\n");
        assert!(d.list.is_empty(), "{:?}", d.list);
        let n = roots(&t);
        assert_eq!(n[0].children().len(), 2);
        assert_eq!(
            child(&n[0], 1).values()[0].words().collect::<Vec<_>>(),
            ["10.1.1.1"]
        );
    }

    #[test]
    fn unsupported_keywords_are_noted_not_errors() {
        let (t, d) = parse_text("global_defs {\n enable_snmp_vrrp\n}\n");
        assert_eq!(child(&roots(&t)[0], 0).kw, "enable_snmp_vrrp");
        assert_eq!(d.list[0].level, Level::Info);
        assert_eq!(d.exit_code(), 0);
    }

    #[test]
    fn named_value_block() {
        let (t, d) = parse_text("virtual_server_group G1 {\n 10.0.0.1 80\n fwmark 3\n}\n");
        assert!(d.list.is_empty());
        let n = roots(&t);
        assert_eq!(n[0].args().collect::<Vec<_>>(), ["G1"]);
        assert_eq!(n[0].values().len(), 2);
    }
}
