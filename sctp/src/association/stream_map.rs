//! A map keyed by stream id that holds exactly what it stores while small.
//!
//! An association usually carries a handful of data channels, and keeps three tables
//! keyed by stream id (channels, outgoing and incoming streams). A `BTreeMap` reserves a
//! node for eleven entries on its first insert (close to 1 KiB for these values), so an
//! idle association spent most of its heap on empty slots. Up to [`SMALL_MAX`] entries
//! this map is a `Vec` sorted by id: one allocation the size of its entries, searched by
//! bisection. Past that it turns into a `BTreeMap`, so a peer that opens streams in an
//! adversarial order cannot make every insert shift thousands of entries. Both forms
//! iterate in ascending id order, as the `BTreeMap`s it replaces did.

use std::collections::{btree_map, BTreeMap};

/// Entries kept in the sorted `Vec` form. An insert there shifts at most this many
/// entries (a few KiB); beyond it the B-tree's logarithmic insert is worth its nodes.
const SMALL_MAX: usize = 64;

/// While this small, the `Vec` grows one entry at a time instead of doubling, so the
/// usual one or two channels take exactly their size.
const EXACT_GROWTH: usize = 4;

#[derive(Debug, Clone)]
enum Repr<V> {
    Small(Vec<(u16, V)>),
    /// Boxed so the enum stays the size of the `Vec` alone (a box fits beside the `Vec`'s
    /// niche, a 24-byte map does not): one extra small allocation past [`SMALL_MAX`]
    /// entries buys 8 bytes in every association's three maps.
    #[allow(clippy::box_collection)]
    Large(Box<BTreeMap<u16, V>>),
}

/// A map from stream id to `V`, iterating in ascending id order.
#[derive(Debug, Clone)]
pub(crate) struct StreamMap<V> {
    repr: Repr<V>,
}

impl<V> Default for StreamMap<V> {
    fn default() -> Self {
        Self::new()
    }
}

impl<V> StreamMap<V> {
    pub(crate) const fn new() -> Self {
        Self {
            repr: Repr::Small(Vec::new()),
        }
    }

    pub(crate) fn len(&self) -> usize {
        match &self.repr {
            Repr::Small(v) => v.len(),
            Repr::Large(m) => m.len(),
        }
    }

    pub(crate) fn is_empty(&self) -> bool {
        self.len() == 0
    }

    pub(crate) fn contains_key(&self, id: u16) -> bool {
        self.get(id).is_some()
    }

    pub(crate) fn get(&self, id: u16) -> Option<&V> {
        match &self.repr {
            Repr::Small(v) => v.binary_search_by_key(&id, |e| e.0).ok().map(|i| &v[i].1),
            Repr::Large(m) => m.get(&id),
        }
    }

    pub(crate) fn get_mut(&mut self, id: u16) -> Option<&mut V> {
        match &mut self.repr {
            Repr::Small(v) => match v.binary_search_by_key(&id, |e| e.0) {
                Ok(i) => Some(&mut v[i].1),
                Err(_) => None,
            },
            Repr::Large(m) => m.get_mut(&id),
        }
    }

    /// Inserts or replaces; returns the value that was there.
    pub(crate) fn insert(&mut self, id: u16, value: V) -> Option<V> {
        match self.slot(id) {
            Ok(i) => {
                let Repr::Small(v) = &mut self.repr else {
                    unreachable!("slot returns an index only in the small form")
                };
                Some(std::mem::replace(&mut v[i].1, value))
            }
            Err(Some(i)) => {
                self.insert_small(i, id, value);
                None
            }
            Err(None) => {
                let Repr::Large(m) = &mut self.repr else {
                    unreachable!("slot returns no index only in the large form")
                };
                m.insert(id, value)
            }
        }
    }

    /// The value for `id`, inserted with `V::default()` first if absent.
    pub(crate) fn get_or_insert_default(&mut self, id: u16) -> &mut V
    where
        V: Default,
    {
        match self.slot(id) {
            Ok(i) => {
                let Repr::Small(v) = &mut self.repr else {
                    unreachable!("slot returns an index only in the small form")
                };
                &mut v[i].1
            }
            Err(Some(i)) => self.insert_small(i, id, V::default()),
            Err(None) => {
                let Repr::Large(m) = &mut self.repr else {
                    unreachable!("slot returns no index only in the large form")
                };
                m.entry(id).or_default()
            }
        }
    }

    pub(crate) fn remove(&mut self, id: u16) -> Option<V> {
        let removed = match &mut self.repr {
            Repr::Small(v) => match v.binary_search_by_key(&id, |e| e.0) {
                Ok(i) => Some(v.remove(i).1),
                Err(_) => None,
            },
            Repr::Large(m) => m.remove(&id),
        };
        if removed.is_some() && self.is_empty() {
            // An emptied map holds no allocation, whichever form it had.
            self.repr = Repr::Small(Vec::new());
        }
        removed
    }

    /// Entries in ascending id order.
    pub(crate) fn iter(&self) -> Iter<'_, V> {
        match &self.repr {
            Repr::Small(v) => Iter::Small(v.iter()),
            Repr::Large(m) => Iter::Large(m.iter()),
        }
    }

    /// Entries in ascending id order, values mutable.
    pub(crate) fn iter_mut(&mut self) -> IterMut<'_, V> {
        match &mut self.repr {
            Repr::Small(v) => IterMut::Small(v.iter_mut()),
            Repr::Large(m) => IterMut::Large(m.iter_mut()),
        }
    }

    /// Ids in ascending order.
    pub(crate) fn keys(&self) -> impl Iterator<Item = u16> + '_ {
        self.iter().map(|(id, _)| id)
    }

    /// Values in ascending id order, mutable.
    pub(crate) fn values_mut(&mut self) -> impl Iterator<Item = &mut V> + '_ {
        self.iter_mut().map(|(_, v)| v)
    }

    /// Where `id` is: `Ok(index)` if present in the small form, `Err(Some(index))` where
    /// it would go in the small form (converting to the large form first if the small one
    /// is full, which then answers `Err(None)`), `Err(None)` for the large form.
    fn slot(&mut self, id: u16) -> Result<usize, Option<usize>> {
        let Repr::Small(v) = &mut self.repr else {
            return Err(None);
        };
        match v.binary_search_by_key(&id, |e| e.0) {
            Ok(i) => Ok(i),
            Err(_) if v.len() >= SMALL_MAX => {
                let large: BTreeMap<u16, V> = std::mem::take(v).into_iter().collect();
                self.repr = Repr::Large(Box::new(large));
                Err(None)
            }
            Err(i) => Err(Some(i)),
        }
    }

    fn insert_small(&mut self, i: usize, id: u16, value: V) -> &mut V {
        let Repr::Small(v) = &mut self.repr else {
            unreachable!("insert_small is called only in the small form")
        };
        if v.len() == v.capacity() && v.len() < EXACT_GROWTH {
            v.reserve_exact(1);
        }
        v.insert(i, (id, value));
        &mut v[i].1
    }
}

/// Iterator over `(id, &value)` in ascending id order.
pub(crate) enum Iter<'a, V> {
    Small(std::slice::Iter<'a, (u16, V)>),
    Large(btree_map::Iter<'a, u16, V>),
}

impl<'a, V> Iterator for Iter<'a, V> {
    type Item = (u16, &'a V);

    fn next(&mut self) -> Option<Self::Item> {
        match self {
            Iter::Small(it) => it.next().map(|(k, v)| (*k, v)),
            Iter::Large(it) => it.next().map(|(k, v)| (*k, v)),
        }
    }

    fn size_hint(&self) -> (usize, Option<usize>) {
        match self {
            Iter::Small(it) => it.size_hint(),
            Iter::Large(it) => it.size_hint(),
        }
    }
}

/// Iterator over `(id, &mut value)` in ascending id order.
pub(crate) enum IterMut<'a, V> {
    Small(std::slice::IterMut<'a, (u16, V)>),
    Large(btree_map::IterMut<'a, u16, V>),
}

impl<'a, V> Iterator for IterMut<'a, V> {
    type Item = (u16, &'a mut V);

    fn next(&mut self) -> Option<Self::Item> {
        match self {
            IterMut::Small(it) => it.next().map(|(k, v)| (*k, v)),
            IterMut::Large(it) => it.next().map(|(k, v)| (*k, v)),
        }
    }

    fn size_hint(&self) -> (usize, Option<usize>) {
        match self {
            IterMut::Small(it) => it.size_hint(),
            IterMut::Large(it) => it.size_hint(),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Applies the same operations to a `StreamMap` and a `BTreeMap` and compares them.
    fn check_against_btree(ops: impl IntoIterator<Item = (bool, u16)>) {
        let mut ours = StreamMap::new();
        let mut reference = BTreeMap::new();
        for (n, (insert, id)) in ops.into_iter().enumerate() {
            if insert {
                assert_eq!(ours.insert(id, n), reference.insert(id, n), "insert {id}");
            } else {
                assert_eq!(ours.remove(id), reference.remove(&id), "remove {id}");
            }
            assert_eq!(ours.len(), reference.len());
            assert_eq!(ours.get(id), reference.get(&id));
        }
        let a: Vec<_> = ours.iter().map(|(k, v)| (k, *v)).collect();
        let b: Vec<_> = reference.iter().map(|(k, v)| (*k, *v)).collect();
        assert_eq!(a, b);
    }

    #[test]
    fn small_map_is_sorted_and_exact() {
        let mut m = StreamMap::new();
        assert!(m.is_empty());
        m.insert(5, "five");
        let Repr::Small(v) = &m.repr else {
            panic!("one entry is small")
        };
        assert_eq!(v.capacity(), 1, "one entry takes one slot");
        m.insert(1, "one");
        m.insert(3, "three");
        assert_eq!(m.insert(3, "THREE"), Some("three"));
        assert_eq!(m.keys().collect::<Vec<_>>(), vec![1, 3, 5]);
        assert_eq!(
            m.iter().map(|(_, v)| *v).collect::<Vec<_>>(),
            ["one", "THREE", "five"]
        );
        assert!(m.contains_key(1) && !m.contains_key(2));
        assert_eq!(m.remove(1), Some("one"));
        assert_eq!(m.remove(1), None);
        assert_eq!(m.get(5), Some(&"five"));
    }

    #[test]
    fn get_or_insert_default_and_values_mut() {
        let mut m: StreamMap<u32> = StreamMap::new();
        *m.get_or_insert_default(7) += 2;
        *m.get_or_insert_default(7) += 3;
        *m.get_or_insert_default(2) += 1;
        for v in m.values_mut() {
            *v *= 10;
        }
        assert_eq!(m.iter().collect::<Vec<_>>(), vec![(2, &10), (7, &50)]);
        if let Some(v) = m.get_mut(2) {
            *v = 0;
        }
        assert_eq!(m.get(2), Some(&0));
    }

    #[test]
    fn grows_into_a_btree_and_back() {
        let mut m: StreamMap<u16> = StreamMap::new();
        // Descending ids: every small-form insert lands at the front.
        for id in (0..1000u16).rev() {
            *m.get_or_insert_default(id) = id;
        }
        assert!(matches!(m.repr, Repr::Large(_)));
        assert_eq!(m.len(), 1000);
        assert!(m.keys().eq(0..1000));
        assert!(m.iter().all(|(k, v)| k == *v));
        for id in 0..1000 {
            assert_eq!(m.remove(id), Some(id));
        }
        assert!(m.is_empty());
        assert!(matches!(&m.repr, Repr::Small(v) if v.capacity() == 0));
    }

    #[test]
    fn matches_btree_map() {
        // A small xorshift stream of inserts and removes over ids that collide often,
        // crossing the small/large boundary both ways.
        let mut x = 0x2545_f491_u32;
        let ops = (0..5000).map(|_| {
            x ^= x << 13;
            x ^= x >> 17;
            x ^= x << 5;
            (!x.is_multiple_of(3), (x >> 8) as u16 % 150)
        });
        check_against_btree(ops);
        check_against_btree((0..200).map(|i| (true, u16::MAX - i)));
        check_against_btree((0..100).map(|i| (i % 2 == 0, (i / 2) as u16)));
    }

    #[test]
    fn stays_the_size_of_a_vec() {
        assert_eq!(size_of::<StreamMap<[u64; 4]>>(), size_of::<Vec<u8>>());
    }
}
