//! unsafe-deserialization: formats that run code while loading.
pub mod unsafe_load;
