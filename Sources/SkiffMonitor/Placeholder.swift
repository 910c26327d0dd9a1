public enum SkiffMonitorPlaceholder {}
