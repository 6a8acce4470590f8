import IGCLI

@main
struct Main {
    static func main() { IGCLI.run() }
}
