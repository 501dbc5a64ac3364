import DilithionWire
import Foundation
import XCTest

@testable import DilithionChain

/// Headers, trees and directories for the chain tests. Everything is regtest unless a test says
/// otherwise, and every time is explicit.
enum Fixtures {
    static let genesis = RegtestGenesis.block.header
    static let genesisHash = RegtestGenesis.expectedHash
    /// A clock far enough ahead that no generated header is "in the future".
    static let farFuture = Int64(RegtestGenesis.time) + 100_000_000

    /// A header/hash pair.
    struct Link {
        let header: BlockHeader
        let hash: Hash256
    }

    static let genesisLink = Link(header: genesis, hash: genesisHash)

    /// A v4 child header (no block body: the tree never looks at one). `variant` changes the merkle
    /// root so that siblings differ; `vdfOutput` defaults to a value derived from both.
    static func child(
        of parent: Link, variant: UInt64 = 0, timeStep: UInt32 = 60, vdfOutput: Hash256? = nil,
        bits: UInt32 = RegtestGenesis.bits
    ) -> Link {
        let header = BlockHeader(
            version: 4, previousBlockHash: parent.hash,
            merkleRoot: Hash256(w0: parent.hash.w0 &+ 1, w1: variant, w2: 7, w3: 0),
            time: parent.header.time + timeStep, bits: bits, nonce: UInt32(truncatingIfNeeded: variant),
            vdfOutput: vdfOutput ?? Hash256(w0: 1, w1: 2, w2: variant, w3: 0x4000_0000_0000_0000),
            vdfProofHash: Hash256(w0: 9, w1: 9, w2: 9, w3: 9))
        return Link(header: header, hash: try! header.hash())
    }

    /// `count` headers extending `parent`, lowest first.
    static func chain(from parent: Link, count: Int, variant: UInt64 = 0) -> [Link] {
        var links = [Link]()
        var cursor = parent
        for _ in 0..<count {
            cursor = child(of: cursor, variant: variant)
            links.append(cursor)
        }
        return links
    }

    /// `count` linked blocks on genesis from `generator`, lowest first, each 60 s after its parent,
    /// with their hashes. `variant` makes a sibling branch.
    static func blocks(
        _ count: Int, size: Int, from generator: RegtestChainGenerator, variant: UInt64 = 0
    ) -> [(hash: Hash256, message: BlockMessage)] {
        blocks(sizes: Array(repeating: size, count: count), from: generator, variant: variant)
    }

    /// Linked blocks on genesis of the given sizes, lowest first, as ``blocks(_:size:from:variant:)``.
    static func blocks(
        sizes: [Int], from generator: RegtestChainGenerator, variant: UInt64 = 0
    ) -> [(hash: Hash256, message: BlockMessage)] {
        var parent = genesisHash
        return sizes.enumerated().map { offset, size in
            let height = offset + 1
            let message = generator.makeBlock(
                parent: parent, height: height, size: size, time: genesis.time + UInt32(60 * height), variant: variant)
            parent = try! message.header.hash()
            return (parent, message)
        }
    }

    static func tree(_ configure: (inout ChainConfiguration) -> Void = { _ in }) -> HeaderTree {
        var configuration = ChainConfiguration(network: .regtest)
        configure(&configuration)
        return HeaderTree(genesis: genesis, genesisHash: genesisHash, configuration: configuration)
    }

    /// A tree whose blocks 1…`count` on genesis are inserted and stored at `now`, with their links.
    static func storedTree(
        count: Int, now: Int64, _ configure: (inout ChainConfiguration) -> Void = { _ in }
    ) -> (HeaderTree, [Link]) {
        var tree = tree(configure)
        let main = chain(from: genesisLink, count: count)
        insertAll(main, into: &tree, now: now)
        storeAll(main, in: &tree, now: now)
        return (tree, main)
    }

    /// Inserts links that must all be accepted.
    @discardableResult
    static func insertAll(
        _ links: [Link], into tree: inout HeaderTree, now: Int64 = farFuture, file: StaticString = #filePath,
        line: UInt = #line
    ) -> ChainChange? {
        var last: ChainChange?
        for link in links {
            do {
                last = try tree.insert(link.header, hash: link.hash, now: now).bestChainChange ?? last
            } catch {
                XCTFail("header refused: \(error)", file: file, line: line)
            }
        }
        return last
    }

    /// Marks the links' blocks stored (lowest first), as if their blocks had been committed.
    @discardableResult
    static func storeAll(_ links: [Link], in tree: inout HeaderTree, now: Int64 = farFuture) -> ChainChange? {
        var last: ChainChange?
        for link in links { last = tree.markStored(link.hash, now: now) ?? last }
        return last
    }

    /// The rejection `body` throws, or nil.
    static func rejection(_ body: () throws(ChainRejection) -> Void) -> ChainRejection? {
        do {
            try body()
            return nil
        } catch {
            return error
        }
    }

    /// A fresh empty directory under /tmp.
    static func temporaryDirectory() -> String {
        var template = Array("/tmp/dilithion-chain-test-XXXXXX".utf8CString)
        let created = template.withUnsafeMutableBufferPointer { mkdtemp($0.baseAddress!) != nil }
        precondition(created, "mkdtemp failed")
        return String(decoding: template.prefix { $0 != 0 }.map { UInt8(bitPattern: $0) }, as: UTF8.self)
    }

    static func remove(_ path: String) {
        try? FileManager.default.removeItem(atPath: path)
    }
}
