import ArgumentParser

public enum IGCLI {
    public static func run() { print("igcam") }
}
