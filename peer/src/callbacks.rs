//! Callback slots: set from any thread, run on the driver task without holding the
//! session lock, so a callback may call back into the API.

use std::sync::Mutex;

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
        *self.slot.lock().unwrap_or_else(|e| e.into_inner()) = Some(Box::new(f));
    }

    /// Drops the callback, and with it whatever it captured (handles that would keep
    /// the connection alive).
    pub(crate) fn clear(&self) {
        let taken = self.slot.lock().unwrap_or_else(|e| e.into_inner()).take();
        drop(taken);
    }

    pub(crate) fn is_set(&self) -> bool {
        self.slot
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .is_some()
    }

    /// Runs the callback if one is set; returns whether one was. The callback is taken
    /// out while it runs, so it may set a new one (which then wins) without deadlock.
    pub(crate) fn call(&self, value: T) -> bool {
        let taken = self.slot.lock().unwrap_or_else(|e| e.into_inner()).take();
        let Some(mut f) = taken else {
            return false;
        };
        f(value);
        let mut slot = self.slot.lock().unwrap_or_else(|e| e.into_inner());
        if slot.is_none() {
            *slot = Some(f);
        }
        true
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
}
