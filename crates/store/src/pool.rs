//! A small connection pool: idle connections are kept for reuse, new ones
//! are made on demand. Both backends use it for their readers.

use std::ops::{Deref, DerefMut};
use std::sync::Mutex;

use crate::StoreError;

type Connect<C> = Box<dyn Fn() -> Result<C, StoreError> + Send + Sync>;

pub(crate) struct Pool<C> {
    idle: Mutex<Vec<C>>,
    max_idle: usize,
    connect: Connect<C>,
}

impl<C> Pool<C> {
    pub fn new(max_idle: usize, connect: Connect<C>) -> Self {
        Pool {
            idle: Mutex::new(Vec::new()),
            max_idle,
            connect,
        }
    }

    pub fn get(&self) -> Result<Pooled<'_, C>, StoreError> {
        let idle = self.idle.lock().map(|mut v| v.pop()).unwrap_or(None);
        let conn = match idle {
            Some(conn) => conn,
            None => (self.connect)()?,
        };
        Ok(Pooled {
            pool: self,
            conn: Some(conn),
        })
    }
}

pub(crate) struct Pooled<'a, C> {
    pool: &'a Pool<C>,
    conn: Option<C>,
}

impl<C> Pooled<'_, C> {
    /// Drops the connection instead of returning it (after an I/O error).
    pub fn discard(mut self) {
        self.conn = None;
    }
}

impl<C> Deref for Pooled<'_, C> {
    type Target = C;
    fn deref(&self) -> &C {
        // `conn` is only None after `discard`, which consumes self.
        self.conn.as_ref().expect("pooled connection present")
    }
}

impl<C> DerefMut for Pooled<'_, C> {
    fn deref_mut(&mut self) -> &mut C {
        self.conn.as_mut().expect("pooled connection present")
    }
}

impl<C> Drop for Pooled<'_, C> {
    fn drop(&mut self) {
        if let Some(conn) = self.conn.take() {
            if let Ok(mut idle) = self.pool.idle.lock() {
                if idle.len() < self.pool.max_idle {
                    idle.push(conn);
                }
            }
        }
    }
}
