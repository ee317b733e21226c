//! Callback slots: set from any thread, run on the driver task without holding the
//! session lock, so a callback may call back into the API.

use std::sync::{Mutex, MutexGuard};

/// Locks `m`, and keeps going if a thread panicked while holding it: a panicking
/// callback must not wedge the connection for every other handle.
pub(crate) fn lock<T>(m: &Mutex<T>) -> MutexGuard<'_, T> {
    m.lock().unwrap_or_else(|e| e.into_inner())
}

type BoxedCallback<T> = Box<dyn FnMut(T) + Send>;

/// One settable callback taking `T`.
pub(crate) struct Callback<T> {
    slot: Mutex<Option<BoxedCallback<T>>>,
}

impl<T> Default for Callback<T> {
    fn default() -> Self {
        Self {
            slot: Mutex::new(None),
        }
    }
}

impl<T> Callback<T> {
    pub(crate) fn set(&self, f: impl FnMut(T) + Send + 'static) {
        *lock(&self.slot) = Some(Box::new(f));
    }

    /// Drops the callback, and with it whatever it captured (handles that would keep
    /// the connection alive).
    pub(crate) fn clear(&self) {
        let taken = lock(&self.slot).take();
        drop(taken);
    }

    pub(crate) fn is_set(&self) -> bool {
        lock(&self.slot).is_some()
    }

    /// Runs the callback if one is set; returns whether one was. The callback is taken
    /// out while it runs, so it may set a new one (which then wins) without deadlock.
    pub(crate) fn call(&self, value: T) -> bool {
        let taken = lock(&self.slot).take();
        let Some(mut f) = taken else {
            return false;
        };
        f(value);
        let mut slot = lock(&self.slot);
        if slot.is_none() {
            *slot = Some(f);
        }
        true
    }
}

/// A callback with a queue in front: values that arrive before the callback is set
/// are kept (at most `limit`, the oldest dropped first) and delivered, in order, once
/// it is. Only the driver delivers, so values never overtake each other.
pub(crate) struct Mailbox<T> {
    callback: Callback<T>,
    kept: Mutex<std::collections::VecDeque<T>>,
    limit: usize,
}

impl<T> Mailbox<T> {
    pub(crate) fn new(limit: usize) -> Self {
        Self {
            callback: Callback::default(),
            kept: Mutex::new(std::collections::VecDeque::new()),
            limit,
        }
    }

    pub(crate) fn set(&self, f: impl FnMut(T) + Send + 'static) {
        self.callback.set(f);
    }

    /// Delivers `value`, or keeps it until a callback is set (driver).
    pub(crate) fn deliver(&self, value: T) {
        let mut kept = lock(&self.kept);
        if kept.is_empty() && self.callback.is_set() {
            drop(kept);
            self.callback.call(value);
            return;
        }
        if kept.len() >= self.limit {
            kept.pop_front();
        }
        kept.push_back(value);
    }

    /// Delivers what was kept, once a callback is set (driver).
    pub(crate) fn flush(&self) {
        while self.callback.is_set() {
            let next = lock(&self.kept).pop_front();
            match next {
                Some(value) => {
                    self.callback.call(value);
                }
                None => break,
            }
        }
    }

    /// Drops the callback and what was kept.
    pub(crate) fn clear(&self) {
        self.callback.clear();
        lock(&self.kept).clear();
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::sync::atomic::{AtomicUsize, Ordering};
    use std::sync::Arc;

    #[test]
    fn a_callback_may_replace_itself() {
        let calls = Arc::new(AtomicUsize::new(0));
        let slot = Arc::new(Callback::<u32>::default());
        assert!(!slot.call(1));
        let (inner_slot, inner_calls) = (slot.clone(), calls.clone());
        slot.set(move |_| {
            inner_calls.fetch_add(1, Ordering::SeqCst);
            let c = inner_calls.clone();
            inner_slot.set(move |v| {
                c.fetch_add(v as usize, Ordering::SeqCst);
            });
        });
        assert!(slot.call(1));
        assert!(slot.call(10));
        assert_eq!(calls.load(Ordering::SeqCst), 11);
    }

    #[test]
    fn a_mailbox_keeps_values_until_its_callback_is_set() {
        let mailbox = Mailbox::new(2);
        for v in 1..=3 {
            mailbox.deliver(v);
        }
        let got = Arc::new(Mutex::new(Vec::new()));
        let sink = got.clone();
        mailbox.set(move |v| sink.lock().unwrap().push(v));
        mailbox.flush();
        mailbox.deliver(4);
        // The oldest beyond the limit was dropped; the rest came in order.
        assert_eq!(*got.lock().unwrap(), vec![2, 3, 4]);
    }
}
