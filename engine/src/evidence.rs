//! Evidence records (証跡保存).
