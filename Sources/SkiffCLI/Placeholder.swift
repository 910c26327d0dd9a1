public enum SkiffCLIPlaceholder {}
