import DilithionWire

extension Checkpoints {
    /// The built-in list for a network: the C++ chain parameters' lists (`src/core/chainparams.cpp`
    /// at `3e1bb6bc`) for mainnet and DilV.
    ///
    /// Testnet has none here, although the C++ parameters list ten (1,000 … 86,000): they name blocks
    /// of the retired RandomX testnet (their hashes carry RandomX's leading zero bytes; the VDF
    /// testnet's SHA3-256 hashes cannot match them), so enforcing them would stop a VDF testnet at
    /// height 999 and protect nothing. Regtest has none by design.
    public static func of(_ network: Network) -> Checkpoints {
        switch network {
        case .mainnet: return mainnet
        case .dilv: return dilv
        case .testnet, .regtest: return .none
        }
    }

    /// Mainnet, 1,000 … 44,000 (the last one also the C++ `dfmpAssumeValidHeight`).
    static let mainnet = table([
        (1000, "000000006c282edbcc0f2eee5b0f8c8feb62c73d3787137037e589db99cab59f"),
        (2000, "0000002c86158454f79a22a31dcabcaca7861f7e95e98275439dd66f4f9e8b4d"),
        (5000, "00000152698282228ce368858d4070bc9da937ff2ed5c6276adf45dd9d299ee9"),
        (10000, "000032dc7d684254b446b7568ec895b3279e1230d5a6b6a42e5552e1d45f8402"),
        (11000, "000009628d3af9adef443ee681d19e4ff7c9d8f56a0b05acce8f55e43f88a6cf"),
        (13000, "000001fe5b08776d2f96e3fca8a30ad4113e8e2d998f800e70b06e73454380c7"),
        (16500, "000000b37d07c641b2b0e18ff7931300ac76ee083eae2522632b343ee221475f"),
        (18500, "0000000c9cbfc8c909156c22b37437183ece80257851d5dc324312497d3f2a37"),
        (23000, "00000a5bbef0e203c6b013976bbe4a3afc401975d5d4405298691d6620f47fa6"),
        (24476, "000007289cc3fdbe88a572d84f974a49fb962eda7412312c28930153ae52d611"),
        (30000, "0000000f1cadcbc897976ebe04f1171a5d591ebdb580bdd229d2e310f1a09f05"),
        (34000, "00000009b2312644f10b286934ed982520e92aaa54b2736e46f365a77bd92d98"),
        (40000, "000000271909e84a5a31fe60c27a9e40a2a51828efc89c6af059a2db2f6e2576"),
        (44000, "0000002751fc99551f4fce1f2e92053b2432788f1dc12412fd81223204d11377"),
    ])

    /// DilV, 500 … 36,500 (the C++ list after v4.0.22 removed 44,469).
    static let dilv = table([
        (500, "88c3760b617f4295176a76871acc60904e8dfc9ccd62d6d460475c520a039f1e"),
        (1000, "9884fa2d1fcd8b2c7b5c3b49a6aa6c11c60a467ad93048cd871d0ebba42cc81e"),
        (1500, "3fd46e642ef3b8a4a0ba29c80293dff82956bb10dedc26f6679045994d2b97de"),
        (2000, "6b7f65e2e1c9171ec26dd68bf49b44c72eb1b6ad819b08864f79d9e48136d1a6"),
        (2500, "05dff2b9b58ab6145e8345f103a12fd605a71092c7113527acc743d58d34f233"),
        (2632, "7e250f5f24081906aeea465c546a371937812939dc00ead70a9621f897619caf"),
        (2700, "475d9fcb367c512c65eb24d6feb962c3eaafb847a3c45265d108863cadbf4a0f"),
        (2800, "dda53ab45040a889457f21bd828fc82b3c81dfc797be671e157d9e4d8c6438fa"),
        (2900, "a0ce1e87001b1440837bfc3c2d2be8f481f68bf85cb9038b4a89360d9497be3e"),
        (2935, "64abd9e3f640b683145e2a8fe10339573c658da53457611817c4b10a642698ee"),
        (2949, "d8d2c97abb1d6e5aa15285ece31b44d6e9b779fcf97abfff65dfee62542938a0"),
        (2951, "31cfe3012d8fe67482ed99474433c4f365d89c76003c90adf11e5fcd49438077"),
        (2961, "0727d34f6604ec5f4c1efe92825f8b5c7f325f65d4a220005cd6f2ee1ee122b2"),
        (8000, "9453c0150d81df7785c4b95c4ca50df75a1a561f092192a8ca55c15507397876"),
        (8370, "ef1e3a7de515523cde0b224865b26dc049c92033bc5a86b31e0e32cd1ca852be"),
        (15000, "45f5877adcc1ec2dab453412d6a5cb3fd9383fc97a184aa4ec855db55212f5d6"),
        (18700, "1fbcf55c40c735596b68772af0072b98342a098bd5c1ff0b3bb26423720e9295"),
        (36500, "3a6c72ee0ac27508fe82b76ed561dc93bc52ee5a26825cbf3f693bbc7070fd63"),
    ])

    /// Display-hex hashes (as the C++ parameters and logs print them) by height.
    private static func table(_ entries: [(Int, String)]) -> Checkpoints {
        var hashes = [Int: Hash256]()
        for (height, hex) in entries {
            guard let hash = Hash256(displayHex: hex) else { preconditionFailure("checkpoint \(height) is not a hash") }
            hashes[height] = hash
        }
        return Checkpoints(hashes)
    }
}
