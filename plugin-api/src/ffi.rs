//! The plugin side of the C ABI: what [`crate::export_plugin!`] expands to. Not for direct use.

use std::panic::{catch_unwind, AssertUnwindSafe};

use crate::{method, Envelope, ExtractRequest, Plugin, SummarizeRequest, SummarizeResponse};

/// A byte buffer crossing the boundary: `ptr` to `len` bytes, allocated by the plugin and freed
/// by it (`termtrail_plugin_free`). `#[repr(C)]`: `{ uint8_t *ptr; size_t len; }`.
#[repr(C)]
#[derive(Debug)]
pub struct Buffer {
    /// The bytes (null when `len` is 0 and nothing was allocated).
    pub ptr: *mut u8,
    /// The number of bytes.
    pub len: usize,
}

impl Buffer {
    /// A buffer holding nothing.
    pub fn empty() -> Self {
        Self {
            ptr: std::ptr::null_mut(),
            len: 0,
        }
    }

    fn from_vec(v: Vec<u8>) -> Self {
        // A boxed slice has capacity == len, so `free` can rebuild it from (ptr, len) alone.
        let boxed = v.into_boxed_slice();
        let len = boxed.len();
        Self {
            ptr: Box::into_raw(boxed).cast::<u8>(),
            len,
        }
    }

    /// The bytes.
    ///
    /// # Safety
    /// `ptr` must be valid for `len` bytes (as returned by `termtrail_plugin_call`), or null.
    pub unsafe fn as_slice(&self) -> &[u8] {
        if self.ptr.is_null() {
            &[]
        } else {
            // SAFETY: the caller guarantees ptr/len describe live bytes.
            unsafe { std::slice::from_raw_parts(self.ptr, self.len) }
        }
    }
}

/// `sizeof(Buffer)`, for the host's handshake.
pub fn buffer_size() -> u32 {
    std::mem::size_of::<Buffer>() as u32
}

fn panic_message(payload: &(dyn std::any::Any + Send)) -> String {
    if let Some(s) = payload.downcast_ref::<&str>() {
        (*s).to_owned()
    } else if let Some(s) = payload.downcast_ref::<String>() {
        s.clone()
    } else {
        "a non-string panic payload".to_owned()
    }
}

fn dispatch<P: Plugin>(
    plugin: &P,
    method: &str,
    input: &[u8],
) -> Result<serde_json::Value, String> {
    let to_value = |v: Result<serde_json::Value, serde_json::Error>| {
        v.map_err(|e| format!("cannot serialise the output: {e}"))
    };
    match method {
        method::MANIFEST => to_value(serde_json::to_value(plugin.manifest())),
        method::EXTRACT => {
            let req: ExtractRequest = serde_json::from_slice(input)
                .map_err(|e| format!("invalid input for extract: {e}"))?;
            let doc = plugin.extract(&req).map_err(|e| e.message)?;
            to_value(serde_json::to_value(doc))
        }
        method::SUMMARIZE => {
            let req: SummarizeRequest = serde_json::from_slice(input)
                .map_err(|e| format!("invalid input for summarize: {e}"))?;
            let summary = plugin.summarize(&req);
            to_value(serde_json::to_value(SummarizeResponse { summary }))
        }
        other => Err(format!(
            "unknown method {other:?}; this plugin knows manifest, extract, summarize (ABI {})",
            crate::ABI_VERSION
        )),
    }
}

/// The body of `termtrail_plugin_call`.
///
/// # Safety
/// `method`/`input` valid for their lengths (or null with length 0), `out` valid for writes.
pub unsafe fn call<P: Plugin>(
    plugin: impl FnOnce() -> &'static P,
    method: *const u8,
    method_len: usize,
    input: *const u8,
    input_len: usize,
    out: *mut Buffer,
) -> i32 {
    if out.is_null() {
        return 2;
    }
    // SAFETY: the caller guarantees the pointers are valid for their lengths.
    let (method, input) = unsafe { (bytes(method, method_len), bytes(input, input_len)) };
    // Everything, including the plugin's construction and serde, runs inside catch_unwind: a
    // panic must not unwind across the C boundary (undefined behaviour).
    let result = catch_unwind(AssertUnwindSafe(|| {
        let method =
            std::str::from_utf8(method).map_err(|_| "method name is not UTF-8".to_owned())?;
        dispatch(plugin(), method, input)
    }));
    let (rc, envelope) = match result {
        Ok(Ok(v)) => (
            0,
            Envelope {
                ok: Some(v),
                error: None,
            },
        ),
        Ok(Err(e)) => (
            1,
            Envelope {
                ok: None,
                error: Some(e),
            },
        ),
        Err(payload) => (
            1,
            Envelope {
                ok: None,
                error: Some(format!(
                    "plugin panicked: {}",
                    panic_message(payload.as_ref())
                )),
            },
        ),
    };
    let json = catch_unwind(AssertUnwindSafe(|| serde_json::to_vec(&envelope)))
        .ok()
        .and_then(Result::ok)
        .unwrap_or_else(|| br#"{"error":"cannot serialise the output envelope"}"#.to_vec());
    // SAFETY: checked non-null above; the caller guarantees it is writable.
    unsafe { out.write(Buffer::from_vec(json)) };
    rc
}

/// # Safety
/// `ptr` valid for `len` bytes, or any value with `len == 0`.
unsafe fn bytes<'a>(ptr: *const u8, len: usize) -> &'a [u8] {
    if ptr.is_null() || len == 0 {
        &[]
    } else {
        // SAFETY: guaranteed by the caller.
        unsafe { std::slice::from_raw_parts(ptr, len) }
    }
}

/// The body of `termtrail_plugin_free`.
///
/// # Safety
/// `buffer` must come from [`call`] in this same library, and be freed once.
pub unsafe fn free(buffer: Buffer) {
    if !buffer.ptr.is_null() {
        // SAFETY: `from_vec` made it from a Box<[u8]> of exactly `len` bytes.
        drop(unsafe { Box::from_raw(std::ptr::slice_from_raw_parts_mut(buffer.ptr, buffer.len)) });
    }
}
