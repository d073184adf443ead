//! Test plugin `bad-abi`: claims an ABI version this termtrail does not speak. Written against
//! the raw C ABI (no macro), as a plugin from the future would be.

/// An ABI version no termtrail speaks.
#[no_mangle]
pub extern "C" fn termtrail_plugin_abi_version() -> u32 {
    termtrail_plugin_api::ABI_VERSION + 998
}

/// Never called: the host stops at the version.
#[no_mangle]
pub extern "C" fn termtrail_plugin_buffer_size() -> u32 {
    16
}

/// Never called: the host stops at the version.
#[no_mangle]
pub extern "C" fn termtrail_plugin_call(
    _method: *const u8,
    _method_len: usize,
    _input: *const u8,
    _input_len: usize,
    _out: *mut termtrail_plugin_api::Buffer,
) -> i32 {
    std::process::abort()
}

/// Never called.
#[no_mangle]
pub extern "C" fn termtrail_plugin_free(_buffer: termtrail_plugin_api::Buffer) {}
