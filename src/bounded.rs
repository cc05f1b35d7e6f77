//! A list of fixed capacity: what does not fit is counted, never stored, so it never
//! allocates after it is made. The cores push their actions into one per call.

#[derive(Debug)]
pub struct Bounded<T> {
    list: Vec<T>,
    dropped: usize,
}

impl<T> Bounded<T> {
    pub fn with_capacity(cap: usize) -> Bounded<T> {
        Bounded {
            list: Vec::with_capacity(cap),
            dropped: 0,
        }
    }

    /// Room for `cap` entries in all (a reload grows the VRRP core's list; nothing else
    /// does).
    pub fn reserve_total(&mut self, cap: usize) {
        let len = self.list.len();
        if cap > self.list.capacity() {
            self.list.reserve_exact(cap - len);
        }
    }

    pub fn push(&mut self, a: T) {
        if self.list.len() < self.list.capacity() {
            self.list.push(a);
        } else {
            self.dropped += 1;
        }
    }

    pub fn as_slice(&self) -> &[T] {
        &self.list
    }

    pub fn iter(&self) -> std::slice::Iter<'_, T> {
        self.list.iter()
    }

    /// What did not fit since the last `clear`.
    pub fn dropped(&self) -> usize {
        self.dropped
    }

    pub fn clear(&mut self) {
        self.list.clear();
        self.dropped = 0;
    }

    pub fn len(&self) -> usize {
        self.list.len()
    }

    pub fn is_empty(&self) -> bool {
        self.list.is_empty()
    }

    pub fn capacity(&self) -> usize {
        self.list.capacity()
    }
}

impl<'a, T> IntoIterator for &'a Bounded<T> {
    type Item = &'a T;
    type IntoIter = std::slice::Iter<'a, T>;
    fn into_iter(self) -> Self::IntoIter {
        self.list.iter()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_full_list_counts_what_it_drops_and_never_grows() {
        let mut a = Bounded::with_capacity(2);
        let cap = a.capacity();
        for k in 0..cap + 3 {
            a.push(k);
        }
        assert_eq!(a.len(), cap);
        assert_eq!(a.dropped(), 3);
        assert_eq!(a.capacity(), cap);
        a.clear();
        assert!(a.is_empty());
        assert_eq!(a.dropped(), 0);
    }
}
