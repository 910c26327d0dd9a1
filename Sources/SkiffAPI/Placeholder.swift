public enum SkiffAPIPlaceholder {}
