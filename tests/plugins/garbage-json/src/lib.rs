//! Test plugin `garbage-json`: a valid manifest, then output that is not JSON from `extract`.
//! Written against the raw C ABI (see plugin-api/ABI.md), since the macro cannot emit garbage.

use termtrail_plugin_api::Buffer;

fn leak(bytes: &[u8]) -> Buffer {
    let boxed: Box<[u8]> = bytes.into();
    let len = boxed.len();
    Buffer {
        ptr: Box::into_raw(boxed).cast::<u8>(),
        len,
    }
}

/// The ABI version this plugin speaks.
#[no_mangle]
pub extern "C" fn termtrail_plugin_abi_version() -> u32 {
    termtrail_plugin_api::ABI_VERSION
}

/// `sizeof(Buffer)`.
#[no_mangle]
pub extern "C" fn termtrail_plugin_buffer_size() -> u32 {
    std::mem::size_of::<Buffer>() as u32
}

/// `manifest` answers properly; anything else gets garbage.
///
/// # Safety
/// As in ABI.md.
#[no_mangle]
pub unsafe extern "C" fn termtrail_plugin_call(
    method: *const u8,
    method_len: usize,
    _input: *const u8,
    _input_len: usize,
    out: *mut Buffer,
) -> i32 {
    // SAFETY: the host passes a valid method name of `method_len` bytes.
    let method = unsafe { std::slice::from_raw_parts(method, method_len) };
    let reply: &[u8] = if method == b"manifest" {
        br#"{"ok":{"name":"garbage-json","version":"0.0.1","documents":[{"kind":"privacy-policy","url":"http://127.0.0.1/x","title":"t"}]}}"#
    } else {
        b"\x00\xffthis is {not JSON"
    };
    // SAFETY: the host passes a writable Buffer.
    unsafe { out.write(leak(reply)) };
    0
}

/// Frees what `termtrail_plugin_call` returned.
///
/// # Safety
/// As in ABI.md: a buffer from `termtrail_plugin_call`, once.
#[no_mangle]
pub unsafe extern "C" fn termtrail_plugin_free(buffer: Buffer) {
    if !buffer.ptr.is_null() {
        // SAFETY: made by `leak` from a Box<[u8]> of `len` bytes.
        drop(unsafe { Box::from_raw(std::ptr::slice_from_raw_parts_mut(buffer.ptr, buffer.len)) });
    }
}
