//! RFC 6962 (and RFC 9162 §2.1) Merkle tree hashing, inclusion and consistency proofs.
//!
//! Hashing: a leaf is `SHA-256(0x00 ‖ data)`, a node `SHA-256(0x01 ‖ left ‖ right)`,
//! the empty tree `SHA-256("")`. The tree over n > 1 leaves splits at k, the largest
//! power of two strictly below n; it is left-heavy and never duplicates a node.
//!
//! [`Tree`] keeps every leaf hash (32 bytes per record) and the roots of its complete
//! subtrees, so appending is O(log n) and any historical root or proof can be computed.
//! Verification follows RFC 9162 §2.1.3.2 and §2.1.4.2 to the letter.

use sha2::{Digest, Sha256};

/// A SHA-256 digest.
pub type Hash = [u8; 32];

/// The root of the empty tree: SHA-256 of the empty string.
pub fn empty_root() -> Hash {
    Sha256::digest([]).into()
}

/// `SHA-256(0x00 ‖ data)`.
pub fn leaf_hash(data: &[u8]) -> Hash {
    let mut h = Sha256::new();
    h.update([0u8]);
    h.update(data);
    h.finalize().into()
}

/// `SHA-256(0x01 ‖ left ‖ right)`.
pub fn node_hash(left: &Hash, right: &Hash) -> Hash {
    let mut h = Sha256::new();
    h.update([1u8]);
    h.update(left);
    h.update(right);
    h.finalize().into()
}

/// The largest power of two strictly less than `n` (n ≥ 2).
fn split(n: u64) -> u64 {
    debug_assert!(n >= 2);
    1 << (63 - (n - 1).leading_zeros())
}

/// Why a proof was not accepted, or could not be made.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ProofError {
    #[error("leaf index {index} is not below tree size {size}")]
    IndexOutOfRange { index: u64, size: u64 },
    #[error("tree size {size} is larger than the tree ({have} leaves)")]
    SizeOutOfRange { size: u64, have: u64 },
    #[error("consistency needs old size {old} ≤ new size {new}")]
    SizesOutOfOrder { old: u64, new: u64 },
    #[error("the proof has the wrong number of hashes")]
    WrongLength,
    #[error("the proof does not lead to the expected root")]
    RootMismatch,
}

/// An append-only Merkle tree over leaf hashes.
#[derive(Debug, Clone, Default)]
pub struct Tree {
    /// `levels[h][i]` is the root of the complete subtree of 2^h leaves starting at leaf
    /// `i·2^h`; `levels[0]` are the leaves. Twice the leaves' memory buys O(log n)
    /// historical roots and proofs (a checkpoint every second must not rehash the log).
    levels: Vec<Vec<Hash>>,
    /// Roots of the complete subtrees of the current tree, largest first (the binary
    /// decomposition of the size), so the current root costs O(log n).
    frontier: CompactRange,
}

impl Tree {
    /// An empty tree.
    pub fn new() -> Tree {
        Tree::default()
    }

    /// Number of leaves.
    pub fn size(&self) -> u64 {
        self.levels.first().map_or(0, |l| l.len() as u64)
    }

    /// Appends a leaf hash and returns its index.
    pub fn push_hash(&mut self, leaf: Hash) -> u64 {
        let index = self.size();
        let mut h = 0;
        let mut carry = leaf;
        loop {
            if self.levels.len() == h {
                self.levels.push(Vec::new());
            }
            let level = &mut self.levels[h];
            level.push(carry);
            if level.len() % 2 == 1 {
                break;
            }
            carry = node_hash(&level[level.len() - 2], &level[level.len() - 1]);
            h += 1;
        }
        self.frontier.push(leaf);
        index
    }

    /// Appends record data (hashed as a leaf) and returns its index.
    pub fn push(&mut self, data: &[u8]) -> u64 {
        self.push_hash(leaf_hash(data))
    }

    /// The leaf hash at `index`.
    pub fn leaf(&self, index: u64) -> Option<&Hash> {
        self.levels.first()?.get(usize::try_from(index).ok()?)
    }

    /// The root of the whole tree.
    pub fn root(&self) -> Hash {
        self.frontier.root()
    }

    /// The root of the tree as it was at `size` leaves.
    pub fn root_at(&self, size: u64) -> Result<Hash, ProofError> {
        if size > self.size() {
            return Err(ProofError::SizeOutOfRange {
                size,
                have: self.size(),
            });
        }
        if size == 0 {
            return Ok(empty_root());
        }
        Ok(self.subtree(0, size))
    }

    /// The compact range of the first `size` leaves: what a verifier that holds only
    /// later leaves needs to recompute roots (sent with incremental exports).
    pub fn frontier_at(&self, size: u64) -> Result<CompactRange, ProofError> {
        if size > self.size() {
            return Err(ProofError::SizeOutOfRange {
                size,
                have: self.size(),
            });
        }
        let mut nodes = Vec::new();
        let mut start = 0;
        for bit in (0..64).rev() {
            let len = 1u64 << bit;
            if size & len != 0 {
                nodes.push((len, self.subtree(start, len)));
                start += len;
            }
        }
        Ok(CompactRange { nodes })
    }

    /// MTH of leaves `[start, start + len)`.
    fn subtree(&self, start: u64, len: u64) -> Hash {
        if len.is_power_of_two() && start.is_multiple_of(len) {
            let stored = self
                .levels
                .get(len.trailing_zeros() as usize)
                .and_then(|level| level.get((start / len) as usize));
            if let Some(h) = stored {
                return *h;
            }
        }
        let k = split(len);
        node_hash(&self.subtree(start, k), &self.subtree(start + k, len - k))
    }

    /// The audit path of leaf `index` in the tree of `size` leaves (RFC 9162 §2.1.3.1).
    pub fn inclusion_proof(&self, index: u64, size: u64) -> Result<Vec<Hash>, ProofError> {
        if size > self.size() {
            return Err(ProofError::SizeOutOfRange {
                size,
                have: self.size(),
            });
        }
        if index >= size {
            return Err(ProofError::IndexOutOfRange { index, size });
        }
        let mut out = Vec::new();
        self.path(index, 0, size, &mut out);
        Ok(out)
    }

    fn path(&self, m: u64, start: u64, n: u64, out: &mut Vec<Hash>) {
        if n <= 1 {
            return;
        }
        let k = split(n);
        if m < k {
            self.path(m, start, k, out);
            out.push(self.subtree(start + k, n - k));
        } else {
            self.path(m - k, start + k, n - k, out);
            out.push(self.subtree(start, k));
        }
    }

    /// The consistency proof between sizes `old` and `new` (RFC 9162 §2.1.4.1).
    pub fn consistency_proof(&self, old: u64, new: u64) -> Result<Vec<Hash>, ProofError> {
        if new > self.size() {
            return Err(ProofError::SizeOutOfRange {
                size: new,
                have: self.size(),
            });
        }
        if old > new {
            return Err(ProofError::SizesOutOfOrder { old, new });
        }
        let mut out = Vec::new();
        if old > 0 && old < new {
            self.subproof(old, 0, new, true, &mut out);
        }
        Ok(out)
    }

    fn subproof(&self, m: u64, start: u64, n: u64, complete: bool, out: &mut Vec<Hash>) {
        if m == n {
            if !complete {
                out.push(self.subtree(start, n));
            }
            return;
        }
        let k = split(n);
        if m <= k {
            self.subproof(m, start, k, complete, out);
            out.push(self.subtree(start + k, n - k));
        } else {
            self.subproof(m - k, start + k, n - k, false, out);
            out.push(self.subtree(start, k));
        }
    }
}

/// The roots of the complete subtrees that make up a tree's first leaves, largest first
/// (the binary decomposition of its size): enough to append leaves and compute roots in
/// O(log n) memory, which is how `verify` streams a log without holding it.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct CompactRange {
    nodes: Vec<(u64, Hash)>,
}

impl CompactRange {
    /// The empty range.
    pub fn new() -> CompactRange {
        CompactRange::default()
    }

    /// A range from `(subtree size, root)` pairs; the sizes must be distinct powers of
    /// two, largest first.
    pub fn from_nodes(nodes: Vec<(u64, Hash)>) -> Result<CompactRange, ProofError> {
        let ok = nodes.iter().all(|(n, _)| n.is_power_of_two())
            && nodes.windows(2).all(|w| w[0].0 > w[1].0);
        if !ok {
            return Err(ProofError::WrongLength);
        }
        Ok(CompactRange { nodes })
    }

    /// The `(size, root)` pairs.
    pub fn nodes(&self) -> &[(u64, Hash)] {
        &self.nodes
    }

    /// Leaves covered.
    pub fn size(&self) -> u64 {
        self.nodes.iter().map(|(n, _)| n).sum()
    }

    /// Appends a leaf hash.
    pub fn push(&mut self, leaf: Hash) {
        let mut node = (1u64, leaf);
        while let Some(&(size, top)) = self.nodes.last() {
            if size != node.0 {
                break;
            }
            self.nodes.pop();
            node = (size.saturating_mul(2), node_hash(&top, &node.1));
        }
        self.nodes.push(node);
    }

    /// The root of the tree of [`CompactRange::size`] leaves.
    pub fn root(&self) -> Hash {
        let mut it = self.nodes.iter().rev();
        match it.next() {
            None => empty_root(),
            Some(&(_, first)) => it.fold(first, |acc, (_, h)| node_hash(h, &acc)),
        }
    }
}

/// Roots of a growing tree at sizes from a moving lower bound up to its tip: the compact
/// range of the first `base` leaves plus the leaf hashes after them. A writer that only
/// signs checkpoints at sizes at or after its last round needs nothing more, so its
/// memory is O(log n + leaves since that round) — a whole [`Tree`] would grow by 64
/// bytes per leaf for the log's life.
#[derive(Debug, Clone, Default)]
pub struct RecentRoots {
    base: CompactRange,
    base_size: u64,
    tail: Vec<Hash>,
}

impl RecentRoots {
    /// Starts from the compact range of a tree's first leaves.
    pub fn from_range(range: CompactRange) -> RecentRoots {
        RecentRoots {
            base_size: range.size(),
            base: range,
            tail: Vec::new(),
        }
    }

    /// Leaves in the tree.
    pub fn size(&self) -> u64 {
        self.base_size + self.tail.len() as u64
    }

    /// Appends a leaf hash.
    pub fn push_hash(&mut self, leaf: Hash) {
        self.tail.push(leaf);
    }

    /// What computing roots up to `upto` leaves needs, copied (a writer takes it under
    /// its lock and hashes after releasing it).
    pub fn prefix(&self, upto: u64) -> Result<RootsPrefix, ProofError> {
        if upto < self.base_size || upto > self.size() {
            return Err(ProofError::SizeOutOfRange {
                size: upto,
                have: self.size(),
            });
        }
        let n = usize::try_from(upto - self.base_size).unwrap_or(usize::MAX);
        Ok(RootsPrefix {
            range: self.base.clone(),
            size: self.base_size,
            leaves: self.tail[..n].to_vec(),
        })
    }

    /// Moves the lower bound to `range` (the compact range of a longer prefix, from
    /// [`RootsPrefix::roots_at`]): roots below it cannot be asked for any more, and the
    /// leaves it covers are dropped. A range that does not extend the current one is
    /// ignored.
    pub fn advance(&mut self, range: CompactRange) {
        let size = range.size();
        if size < self.base_size || size > self.size() {
            return;
        }
        let n = usize::try_from(size - self.base_size).unwrap_or(usize::MAX);
        self.tail.drain(..n);
        // After a burst, give the memory back rather than keep the peak for good.
        if self.tail.capacity() > 4 * self.tail.len().max(4096) {
            self.tail.shrink_to(2 * self.tail.len());
        }
        self.base = range;
        self.base_size = size;
    }
}

/// A prefix of a [`RecentRoots`]: the range at its lower bound and the leaves up to a
/// size.
#[derive(Debug, Clone)]
pub struct RootsPrefix {
    range: CompactRange,
    size: u64,
    leaves: Vec<Hash>,
}

impl RootsPrefix {
    /// The roots at `sizes` (sorted, within the prefix), and the compact range of the
    /// whole prefix (for [`RecentRoots::advance`]), in one pass over the leaves.
    pub fn roots_at(self, sizes: &[u64]) -> Result<(Vec<(u64, Hash)>, CompactRange), ProofError> {
        let RootsPrefix {
            mut range,
            size: base,
            leaves,
        } = self;
        let end = base + leaves.len() as u64;
        let mut at = base;
        let mut out = Vec::with_capacity(sizes.len());
        let fold = |range: &mut CompactRange, from: u64, to: u64| {
            let (from, to) = ((from - base) as usize, (to - base) as usize);
            for leaf in &leaves[from..to] {
                range.push(*leaf);
            }
        };
        for &size in sizes {
            if size < at || size > end {
                return Err(ProofError::SizeOutOfRange { size, have: end });
            }
            fold(&mut range, at, size);
            at = size;
            out.push((size, range.root()));
        }
        fold(&mut range, at, end);
        Ok((out, range))
    }
}

/// Verifies that `leaf` is at `index` in the tree of `size` leaves with root `root`
/// (RFC 9162 §2.1.3.2).
pub fn verify_inclusion(
    leaf: &Hash,
    index: u64,
    size: u64,
    proof: &[Hash],
    root: &Hash,
) -> Result<(), ProofError> {
    if index >= size {
        return Err(ProofError::IndexOutOfRange { index, size });
    }
    let mut fn_ = index;
    let mut sn = size - 1;
    let mut r = *leaf;
    for p in proof {
        if sn == 0 {
            return Err(ProofError::WrongLength);
        }
        if fn_ & 1 == 1 || fn_ == sn {
            r = node_hash(p, &r);
            if fn_ & 1 == 0 {
                while fn_ & 1 == 0 && fn_ != 0 {
                    fn_ >>= 1;
                    sn >>= 1;
                }
            }
        } else {
            r = node_hash(&r, p);
        }
        fn_ >>= 1;
        sn >>= 1;
    }
    if sn != 0 {
        return Err(ProofError::WrongLength);
    }
    if &r != root {
        return Err(ProofError::RootMismatch);
    }
    Ok(())
}

/// Verifies that the tree of `new` leaves with root `new_root` extends the tree of `old`
/// leaves with root `old_root` (RFC 9162 §2.1.4.2).
pub fn verify_consistency(
    old: u64,
    new: u64,
    old_root: &Hash,
    new_root: &Hash,
    proof: &[Hash],
) -> Result<(), ProofError> {
    if old > new {
        return Err(ProofError::SizesOutOfOrder { old, new });
    }
    if old == new {
        return if proof.is_empty() {
            if old_root == new_root {
                Ok(())
            } else {
                Err(ProofError::RootMismatch)
            }
        } else {
            Err(ProofError::WrongLength)
        };
    }
    if old == 0 {
        // Every tree extends the empty tree; the proof must be empty.
        return if proof.is_empty() {
            Ok(())
        } else {
            Err(ProofError::WrongLength)
        };
    }
    if proof.is_empty() {
        return Err(ProofError::WrongLength);
    }
    let mut path: Vec<Hash> = Vec::with_capacity(proof.len() + 1);
    if old.is_power_of_two() {
        path.push(*old_root);
    }
    path.extend_from_slice(proof);
    let mut fn_ = old - 1;
    let mut sn = new - 1;
    while fn_ & 1 == 1 {
        fn_ >>= 1;
        sn >>= 1;
    }
    let mut fr = path[0];
    let mut sr = path[0];
    for c in &path[1..] {
        if sn == 0 {
            return Err(ProofError::WrongLength);
        }
        if fn_ & 1 == 1 || fn_ == sn {
            fr = node_hash(c, &fr);
            sr = node_hash(c, &sr);
            if fn_ & 1 == 0 {
                while fn_ & 1 == 0 && fn_ != 0 {
                    fn_ >>= 1;
                    sn >>= 1;
                }
            }
        } else {
            sr = node_hash(&sr, c);
        }
        fn_ >>= 1;
        sn >>= 1;
    }
    if sn != 0 {
        return Err(ProofError::WrongLength);
    }
    if &fr != old_root || &sr != new_root {
        return Err(ProofError::RootMismatch);
    }
    Ok(())
}

#[cfg(test)]
mod recent_roots_tests {
    use super::*;

    #[test]
    fn recent_roots_match_the_whole_tree() {
        let leaves: Vec<Hash> = (0..300u32).map(|i| leaf_hash(&i.to_be_bytes())).collect();
        let mut tree = Tree::new();
        for l in &leaves[..37] {
            tree.push_hash(*l);
        }
        let mut recent = RecentRoots::from_range(tree.frontier_at(37).expect("range"));
        for l in &leaves[37..] {
            tree.push_hash(*l);
            recent.push_hash(*l);
        }
        assert_eq!(recent.size(), 300);
        let root = |s: u64| (s, tree.root_at(s).expect("root"));
        let sizes = [37, 38, 64, 100];
        let (roots, range) = recent
            .prefix(100)
            .expect("prefix")
            .roots_at(&sizes)
            .expect("roots");
        assert_eq!(roots, sizes.map(root));
        assert_eq!(range, tree.frontier_at(100).expect("range"));
        recent.advance(range);
        let (roots, range) = recent
            .prefix(300)
            .expect("prefix")
            .roots_at(&[100, 255, 256, 300])
            .expect("roots");
        assert_eq!(roots, [100, 255, 256, 300].map(root));
        assert!(matches!(
            recent.prefix(99),
            Err(ProofError::SizeOutOfRange { .. })
        ));
        assert!(recent.prefix(301).is_err());
        let prefix = recent.prefix(300).expect("prefix");
        assert!(
            prefix.clone().roots_at(&[200, 150]).is_err(),
            "sizes must be sorted"
        );
        assert!(prefix.roots_at(&[99]).is_err(), "below the bound");
        recent.advance(range);
        assert_eq!(recent.size(), 300);
        assert_eq!(
            recent
                .prefix(300)
                .expect("tip")
                .roots_at(&[300])
                .expect("root")
                .0,
            [root(300)]
        );
        let (empty, _) = RecentRoots::default()
            .prefix(0)
            .expect("empty")
            .roots_at(&[0])
            .expect("root");
        assert_eq!(empty[0].1, empty_root());
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn hex(h: &Hash) -> String {
        h.iter().map(|b| format!("{b:02x}")).collect()
    }

    /// The eight test leaves of the Certificate Transparency test suite.
    fn ct_leaves() -> Vec<Vec<u8>> {
        [
            "",
            "00",
            "10",
            "2021",
            "3031",
            "40414243",
            "5051525354555657",
            "606162636465666768696a6b6c6d6e6f",
        ]
        .iter()
        .map(|h| {
            (0..h.len())
                .step_by(2)
                .map(|i| u8::from_str_radix(&h[i..i + 2], 16).unwrap_or(0))
                .collect()
        })
        .collect()
    }

    #[test]
    fn rfc6962_known_roots() {
        // Roots of the CT test tree at sizes 0..=8 (RFC 6962 test vectors, as used by
        // certificate-transparency and transparency-dev/merkle).
        let expected = [
            "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855",
            "6e340b9cffb37a989ca544e6bb780a2c78901d3fb33738768511a30617afa01d",
            "fac54203e7cc696cf0dfcb42c92a1d9dbaf70ad9e621f4bd8d98662f00e3c125",
            "aeb6bcfe274b70a14fb067a5e5578264db0fa9b51af5e0ba159158f329e06e77",
            "d37ee418976dd95753c1c73862b9398fa2a2cf9b4ff0fdfe8b30cd95209614b7",
            "4e3bbb1f7b478dcfe71fb631631519a3bca12c9aefca1612bfce4c13a86264d4",
            "76e67dadbcdf1e10e1b74ddc608abd2f98dfb16fbce75277b5232a127f2087ef",
            "ddb89be403809e325750d3d263cd78929c2942b7942a34b77e122c9594a74c8c",
            "5dc9da79a70659a9ad559cb701ded9a2ab9d823aad2f4960cfe370eff4604328",
        ];
        let mut t = Tree::new();
        assert_eq!(hex(&t.root()), expected[0]);
        for (i, leaf) in ct_leaves().iter().enumerate() {
            t.push(leaf);
            assert_eq!(hex(&t.root()), expected[i + 1], "root at size {}", i + 1);
        }
        for (size, want) in expected.iter().enumerate() {
            assert_eq!(hex(&t.root_at(size as u64).unwrap_or_default()), *want);
        }
    }

    /// The definition, recursively, as the reference the tree is checked against.
    fn naive_root(leaves: &[Hash]) -> Hash {
        match leaves.len() {
            0 => empty_root(),
            1 => leaves[0],
            n => {
                let k = split(n as u64) as usize;
                node_hash(&naive_root(&leaves[..k]), &naive_root(&leaves[k..]))
            }
        }
    }

    fn tree_of(n: u64) -> (Tree, Vec<Hash>) {
        let mut t = Tree::new();
        let mut leaves = Vec::new();
        for i in 0..n {
            let h = leaf_hash(&i.to_be_bytes());
            leaves.push(h);
            t.push_hash(h);
        }
        (t, leaves)
    }

    #[test]
    fn roots_match_the_definition_up_to_64() {
        let (t, leaves) = tree_of(64);
        for n in 0..=64u64 {
            assert_eq!(
                t.root_at(n),
                Ok(naive_root(&leaves[..n as usize])),
                "size {n}"
            );
        }
    }

    /// Every single-bit flip of every proof hash, a dropped hash, an extra hash.
    fn mutations(proof: &[Hash]) -> Vec<Vec<Hash>> {
        let mut out = Vec::new();
        for i in 0..proof.len() {
            let mut p = proof.to_vec();
            p[i][i % 32] ^= 1 << (i % 8);
            out.push(p);
            let mut q = proof.to_vec();
            q.remove(i);
            out.push(q);
        }
        let mut longer = proof.to_vec();
        longer.push(empty_root());
        out.push(longer);
        out
    }

    #[test]
    fn every_inclusion_proof_up_to_64_verifies_and_every_mutation_fails() {
        let (t, leaves) = tree_of(64);
        for size in 1..=64u64 {
            let root = t.root_at(size).unwrap_or_default();
            for index in 0..size {
                let proof = t.inclusion_proof(index, size).unwrap_or_default();
                let leaf = leaves[index as usize];
                assert_eq!(
                    verify_inclusion(&leaf, index, size, &proof, &root),
                    Ok(()),
                    "{index}/{size}"
                );
                for bad in mutations(&proof) {
                    assert!(
                        verify_inclusion(&leaf, index, size, &bad, &root).is_err(),
                        "mutated proof accepted {index}/{size}"
                    );
                }
                // Wrong index, wrong leaf. (A wrong size with the right root is not a
                // case to test: a checkpoint signs size and root together.)
                if size > 1 {
                    assert!(
                        verify_inclusion(&leaf, (index + 1) % size, size, &proof, &root).is_err()
                    );
                }
                assert!(verify_inclusion(&leaf_hash(b"x"), index, size, &proof, &root).is_err());
                // `index >= size` is rejected, not `index > size` (a known bug elsewhere).
                assert_eq!(
                    verify_inclusion(&leaf, size, size, &proof, &root),
                    Err(ProofError::IndexOutOfRange { index: size, size })
                );
            }
        }
    }

    #[test]
    fn every_consistency_proof_up_to_64_verifies_and_every_mutation_fails() {
        let (t, _) = tree_of(64);
        for new in 0..=64u64 {
            let new_root = t.root_at(new).unwrap_or_default();
            for old in 0..=new {
                let old_root = t.root_at(old).unwrap_or_default();
                let proof = t.consistency_proof(old, new).unwrap_or_default();
                assert_eq!(
                    verify_consistency(old, new, &old_root, &new_root, &proof),
                    Ok(()),
                    "{old}->{new}"
                );
                if old > 0 && old < new {
                    for bad in mutations(&proof) {
                        assert!(
                            verify_consistency(old, new, &old_root, &new_root, &bad).is_err(),
                            "mutated {old}->{new}"
                        );
                    }
                    // A forked old root (same size, different content) is rejected.
                    let forked = leaf_hash(b"fork");
                    assert!(verify_consistency(old, new, &forked, &new_root, &proof).is_err());
                }
            }
        }
    }

    #[test]
    fn bad_requests_are_errors() {
        let (t, _) = tree_of(5);
        assert_eq!(
            t.inclusion_proof(5, 5),
            Err(ProofError::IndexOutOfRange { index: 5, size: 5 })
        );
        assert_eq!(
            t.inclusion_proof(0, 6),
            Err(ProofError::SizeOutOfRange { size: 6, have: 5 })
        );
        assert_eq!(
            t.consistency_proof(4, 3),
            Err(ProofError::SizesOutOfOrder { old: 4, new: 3 })
        );
        assert_eq!(
            verify_consistency(3, 3, &empty_root(), &leaf_hash(b""), &[]),
            Err(ProofError::RootMismatch)
        );
    }

    #[test]
    fn compact_range_from_any_prefix_reaches_every_later_root() {
        let (t, leaves) = tree_of(64);
        for k in 0..=64u64 {
            let mut range = t.frontier_at(k).unwrap_or_default();
            assert_eq!(range.size(), k);
            assert_eq!(range.root(), naive_root(&leaves[..k as usize]));
            for n in k..64 {
                range.push(leaves[n as usize]);
                assert_eq!(
                    range.root(),
                    naive_root(&leaves[..=n as usize]),
                    "k={k} n={n}"
                );
            }
        }
        assert!(CompactRange::from_nodes(vec![(2, [0; 32]), (4, [0; 32])]).is_err());
        assert!(CompactRange::from_nodes(vec![(3, [0; 32])]).is_err());
    }
}
