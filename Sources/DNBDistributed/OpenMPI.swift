#if canImport(Glibc)
import Glibc
#endif

/// Open MPI's C interface, loaded with `dlopen` when dnb runs under `mpirun`: a plain `dnb` needs neither
/// Open MPI's headers to build nor its library to run. Handles are Open MPI's (pointers to its predefined
/// objects, `mpi.h` of 4.1: `MPI_COMM_WORLD` is `&ompi_mpi_comm_world`, `MPI_IN_PLACE` is `(void *) 1`,
/// `MPI_STATUS_IGNORE` is NULL); MPICH's integer handles are a different ABI and are not supported.
struct OpenMPI {
    typealias Handle = UnsafeMutableRawPointer
    typealias Comm = UnsafeMutableRawPointer
    typealias Request = UnsafeMutableRawPointer?

    /// `struct ompi_status_public_t` (passed to MPI as a raw pointer: `&status`): MPI_SOURCE, MPI_TAG, MPI_ERROR, _cancelled, _ucount.
    struct Status {
        var source: Int32 = 0, tag: Int32 = 0, error: Int32 = 0, cancelled: Int32 = 0
        var count: Int = 0
    }

    static let success: Int32 = 0
    static let threadFunneled: Int32 = 1
    static let anySource: Int32 = -1
    static var inPlace: UnsafeMutableRawPointer { UnsafeMutableRawPointer(bitPattern: 1)! }

    let initialized: @convention(c) (UnsafeMutablePointer<Int32>) -> Int32
    let initThread: @convention(c) (UnsafeMutableRawPointer?, UnsafeMutableRawPointer?, Int32, UnsafeMutablePointer<Int32>) -> Int32
    let finalize: @convention(c) () -> Int32
    let abort: @convention(c) (Comm, Int32) -> Int32
    let commRank: @convention(c) (Comm, UnsafeMutablePointer<Int32>) -> Int32
    let commSize: @convention(c) (Comm, UnsafeMutablePointer<Int32>) -> Int32
    let commDup: @convention(c) (Comm, UnsafeMutablePointer<Comm?>) -> Int32
    let commSetErrhandler: @convention(c) (Comm, Handle) -> Int32
    let iallreduce: @convention(c) (UnsafeRawPointer?, UnsafeMutableRawPointer?, Int32, Handle, Handle, Comm, UnsafeMutablePointer<Request>) -> Int32
    let ibcast: @convention(c) (UnsafeMutableRawPointer?, Int32, Handle, Int32, Comm, UnsafeMutablePointer<Request>) -> Int32
    let iallgatherv: @convention(c) (UnsafeRawPointer?, Int32, Handle, UnsafeMutableRawPointer?, UnsafePointer<Int32>, UnsafePointer<Int32>, Handle, Comm, UnsafeMutablePointer<Request>) -> Int32
    let ibarrier: @convention(c) (Comm, UnsafeMutablePointer<Request>) -> Int32
    let test: @convention(c) (UnsafeMutablePointer<Request>, UnsafeMutablePointer<Int32>, UnsafeMutableRawPointer?) -> Int32
    let isend: @convention(c) (UnsafeRawPointer?, Int32, Handle, Int32, Int32, Comm, UnsafeMutablePointer<Request>) -> Int32
    let iprobe: @convention(c) (Int32, Int32, Comm, UnsafeMutablePointer<Int32>, UnsafeMutableRawPointer?) -> Int32
    let recv: @convention(c) (UnsafeMutableRawPointer?, Int32, Handle, Int32, Int32, Comm, UnsafeMutableRawPointer?) -> Int32
    let getCount: @convention(c) (UnsafeRawPointer, Handle, UnsafeMutablePointer<Int32>) -> Int32
    let libraryVersion: @convention(c) (UnsafeMutablePointer<CChar>, UnsafeMutablePointer<Int32>) -> Int32
    let errorString: @convention(c) (Int32, UnsafeMutablePointer<CChar>, UnsafeMutablePointer<Int32>) -> Int32

    let commWorld: Comm
    let float: Handle, double: Handle, int32: Handle, byte: Handle
    let sum: Handle, max: Handle
    let errorsReturn: Handle

    /// The library Debian's `openmpi-bin` brings (libopenmpi3), by soname.
    static let libraryName = "libmpi.so.40"

    /// Loads libmpi; the reason in words when it cannot.
    static func load() throws(DistributedError) -> OpenMPI {
        // RTLD_GLOBAL: Open MPI's components (shared objects it opens itself) resolve libmpi's symbols.
        guard let library = dlopen(libraryName, RTLD_NOW | RTLD_GLOBAL) else {
            let reason = dlerror().map { String(cString: $0) } ?? "unknown reason"
            throw DistributedError("dnb runs under mpirun but cannot load Open MPI's \(libraryName) (\(reason)); install it with `apt-get install openmpi-bin`")
        }
        var missing: [String] = []
        func symbol(_ name: String) -> UnsafeMutableRawPointer {
            if let pointer = dlsym(library, name) { return pointer }
            missing.append(name)
            return UnsafeMutableRawPointer(bitPattern: 8)!
        }
        func function<F>(_ name: String, _: F.Type = F.self) -> F { unsafeBitCast(symbol(name), to: F.self) }
        let mpi = OpenMPI(
            initialized: function("MPI_Initialized"), initThread: function("MPI_Init_thread"), finalize: function("MPI_Finalize"),
            abort: function("MPI_Abort"), commRank: function("MPI_Comm_rank"), commSize: function("MPI_Comm_size"),
            commDup: function("MPI_Comm_dup"), commSetErrhandler: function("MPI_Comm_set_errhandler"),
            iallreduce: function("MPI_Iallreduce"), ibcast: function("MPI_Ibcast"), iallgatherv: function("MPI_Iallgatherv"),
            ibarrier: function("MPI_Ibarrier"), test: function("MPI_Test"), isend: function("MPI_Isend"),
            iprobe: function("MPI_Iprobe"), recv: function("MPI_Recv"), getCount: function("MPI_Get_count"),
            libraryVersion: function("MPI_Get_library_version"), errorString: function("MPI_Error_string"),
            commWorld: symbol("ompi_mpi_comm_world"), float: symbol("ompi_mpi_float"), double: symbol("ompi_mpi_double"),
            int32: symbol("ompi_mpi_int"), byte: symbol("ompi_mpi_byte"), sum: symbol("ompi_mpi_op_sum"),
            max: symbol("ompi_mpi_op_max"), errorsReturn: symbol("ompi_mpi_errors_return"))
        guard missing.isEmpty else {
            throw DistributedError("\(libraryName) is not Open MPI 4 (missing \(missing.prefix(3).joined(separator: ", "))); dnb speaks Open MPI's ABI only")
        }
        return mpi
    }

    /// "Open MPI v4.1.4, …" (the first line of MPI_Get_library_version).
    var version: String {
        var buffer = [CChar](repeating: 0, count: 8192)
        var length: Int32 = 0
        guard libraryVersion(&buffer, &length) == OpenMPI.success else { return "Open MPI" }
        let text = String(decoding: buffer.prefix(Int(length)).map { UInt8(bitPattern: $0) }, as: UTF8.self)
        return text.split(separator: ",").first.map(String.init)?.trimmingCharacters(in: " \n") ?? "Open MPI"
    }

    func describe(_ code: Int32) -> String {
        var buffer = [CChar](repeating: 0, count: 512)
        var length: Int32 = 0
        guard errorString(code, &buffer, &length) == OpenMPI.success else { return "MPI error \(code)" }
        return String(decoding: buffer.prefix(Int(length)).map { UInt8(bitPattern: $0) }, as: UTF8.self)
    }
}

private extension String {
    func trimmingCharacters(in set: String) -> String {
        var s = Substring(self)
        while let c = s.first, set.contains(c) { s = s.dropFirst() }
        while let c = s.last, set.contains(c) { s = s.dropLast() }
        return String(s)
    }
}
