//! What commands and drivers use without knowing what a deploy is: /proc, the haproxy admin
//! socket, command templates, profiles, pid files, socket permissions, stderr.

pub mod master;
pub mod procwatch;
pub mod profile;
pub mod runtime;
pub mod socket_access;
pub mod stderr;
pub mod template;
