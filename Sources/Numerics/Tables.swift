// Constants for DetMath. Generated offline with mpmath (60+ significant digits) and
// rounded once to the nearest double; written as hexadecimal literals so that nothing
// depends on decimal-to-binary conversion. Polynomial coefficients are Chebyshev
// (near-minimax) fits; the comment above each group gives the function, interval,
// degree and the worst relative error measured with the rounded coefficients.

enum Tables {
    // Scalars: exp reduction by ln2/128 (hi part has 34 bits so k*hi is exact),
    // ln2 with a 42-bit hi part, pi/2 in 33-bit pieces for Cody-Waite, and
    // pi/2, 1/sqrt(2) as double-doubles.
    static let expInvLn2N: Double = 0x1.71547652b82fep7
    static let expLn2NHi: Double = 0x1.62e42fef80000p-8
    static let expLn2NLo: Double = 0x1.1cf79abc9e3b4p-43
    static let ln2Hi42: Double = 0x1.62e42fefa3800p-1
    static let ln2Lo42: Double = 0x1.ef35793c76730p-45
    static let invLn2: Double = 0x1.71547652b82fep0
    static let logLn2Hi: Double = 0x1.62e42fefa3800p-1
    static let logLn2Lo: Double = 0x1.ef35793c76730p-45
    static let pio2_1: Double = 0x1.921fb54400000p0
    static let pio2_2: Double = 0x1.0b4611a600000p-34
    static let pio2_3: Double = 0x1.3198a2e000000p-69
    static let pio2_3t: Double = 0x1.b839a252049c1p-104
    static let pio2Hi: Double = 0x1.921fb54442d18p0
    static let pio2Lo: Double = 0x1.1a62633145c07p-54
    static let invPio2: Double = 0x1.45f306dc9c883p-1
    static let invSqrt2Hi: Double = 0x1.6a09e667f3bcdp-1
    static let invSqrt2Lo: Double = -0x1.bdd3413b26456p-55
    static let twoOverSqrtPi: Double = 0x1.20dd750429b6dp0
    static let invSqrtPi: Double = 0x1.20dd750429b6dp-1
    static let invSqrt2Pi: Double = 0x1.9884533d43651p-2
    static let ln2: Double = 0x1.62e42fefa39efp-1
    static let sqrt2: Double = 0x1.6a09e667f3bcdp0
    // 2^(j/128) = expHi[j] + expLo[j]
    static let expHi: [Double] = [
        0x1.0000000000000p0, 0x1.0163da9fb3335p0, 0x1.02c9a3e778061p0,
        0x1.04315e86e7f85p0, 0x1.059b0d3158574p0, 0x1.0706b29ddf6dep0,
        0x1.0874518759bc8p0, 0x1.09e3ecac6f383p0, 0x1.0b5586cf9890fp0,
        0x1.0cc922b7247f7p0, 0x1.0e3ec32d3d1a2p0, 0x1.0fb66affed31bp0,
        0x1.11301d0125b51p0, 0x1.12abdc06c31ccp0, 0x1.1429aaea92de0p0,
        0x1.15a98c8a58e51p0, 0x1.172b83c7d517bp0, 0x1.18af9388c8deap0,
        0x1.1a35beb6fcb75p0, 0x1.1bbe084045cd4p0, 0x1.1d4873168b9aap0,
        0x1.1ed5022fcd91dp0, 0x1.2063b88628cd6p0, 0x1.21f49917ddc96p0,
        0x1.2387a6e756238p0, 0x1.251ce4fb2a63fp0, 0x1.26b4565e27cddp0,
        0x1.284dfe1f56381p0, 0x1.29e9df51fdee1p0, 0x1.2b87fd0dad990p0,
        0x1.2d285a6e4030bp0, 0x1.2ecafa93e2f56p0, 0x1.306fe0a31b715p0,
        0x1.32170fc4cd831p0, 0x1.33c08b26416ffp0, 0x1.356c55f929ff1p0,
        0x1.371a7373aa9cbp0, 0x1.38cae6d05d866p0, 0x1.3a7db34e59ff7p0,
        0x1.3c32dc313a8e5p0, 0x1.3dea64c123422p0, 0x1.3fa4504ac801cp0,
        0x1.4160a21f72e2ap0, 0x1.431f5d950a897p0, 0x1.44e086061892dp0,
        0x1.46a41ed1d0057p0, 0x1.486a2b5c13cd0p0, 0x1.4a32af0d7d3dep0,
        0x1.4bfdad5362a27p0, 0x1.4dcb299fddd0dp0, 0x1.4f9b2769d2ca7p0,
        0x1.516daa2cf6642p0, 0x1.5342b569d4f82p0, 0x1.551a4ca5d920fp0,
        0x1.56f4736b527dap0, 0x1.58d12d497c7fdp0, 0x1.5ab07dd485429p0,
        0x1.5c9268a5946b7p0, 0x1.5e76f15ad2148p0, 0x1.605e1b976dc09p0,
        0x1.6247eb03a5585p0, 0x1.6434634ccc320p0, 0x1.6623882552225p0,
        0x1.68155d44ca973p0, 0x1.6a09e667f3bcdp0, 0x1.6c012750bdabfp0,
        0x1.6dfb23c651a2fp0, 0x1.6ff7df9519484p0, 0x1.71f75e8ec5f74p0,
        0x1.73f9a48a58174p0, 0x1.75feb564267c9p0, 0x1.780694fde5d3fp0,
        0x1.7a11473eb0187p0, 0x1.7c1ed0130c132p0, 0x1.7e2f336cf4e62p0,
        0x1.80427543e1a12p0, 0x1.82589994cce13p0, 0x1.8471a4623c7adp0,
        0x1.868d99b4492edp0, 0x1.88ac7d98a6699p0, 0x1.8ace5422aa0dbp0,
        0x1.8cf3216b5448cp0, 0x1.8f1ae99157736p0, 0x1.9145b0b91ffc6p0,
        0x1.93737b0cdc5e5p0, 0x1.95a44cbc8520fp0, 0x1.97d829fde4e50p0,
        0x1.9a0f170ca07bap0, 0x1.9c49182a3f090p0, 0x1.9e86319e32323p0,
        0x1.a0c667b5de565p0, 0x1.a309bec4a2d33p0, 0x1.a5503b23e255dp0,
        0x1.a799e1330b358p0, 0x1.a9e6b5579fdbfp0, 0x1.ac36bbfd3f37ap0,
        0x1.ae89f995ad3adp0, 0x1.b0e07298db666p0, 0x1.b33a2b84f15fbp0,
        0x1.b59728de5593ap0, 0x1.b7f76f2fb5e47p0, 0x1.ba5b030a1064ap0,
        0x1.bcc1e904bc1d2p0, 0x1.bf2c25bd71e09p0, 0x1.c199bdd85529cp0,
        0x1.c40ab5fffd07ap0, 0x1.c67f12e57d14bp0, 0x1.c8f6d9406e7b5p0,
        0x1.cb720dcef9069p0, 0x1.cdf0b555dc3fap0, 0x1.d072d4a07897cp0,
        0x1.d2f87080d89f2p0, 0x1.d5818dcfba487p0, 0x1.d80e316c98398p0,
        0x1.da9e603db3285p0, 0x1.dd321f301b460p0, 0x1.dfc97337b9b5fp0,
        0x1.e264614f5a129p0, 0x1.e502ee78b3ff6p0, 0x1.e7a51fbc74c83p0,
        0x1.ea4afa2a490dap0, 0x1.ecf482d8e67f1p0, 0x1.efa1bee615a27p0,
        0x1.f252b376bba97p0, 0x1.f50765b6e4540p0, 0x1.f7bfdad9cbe14p0,
        0x1.fa7c1819e90d8p0, 0x1.fd3c22b8f71f1p0,
    ]
    static let expLo: [Double] = [
        0.0, 0x1.b61299ab8cdb7p-54, -0x1.19083535b085dp-56,
        -0x1.0a31c1977c96ep-54, 0x1.d73e2a475b465p-55, -0x1.c91dfe2b13c27p-55,
        0x1.186be4bb284ffp-57, 0x1.1487818316136p-54, 0x1.8a62e4adc610bp-54,
        0x1.01edc16e24f71p-54, 0x1.03a1727c57b53p-59, -0x1.b9bedc44ebd7bp-57,
        -0x1.6c51039449b3ap-54, -0x1.1b514b36ca5c7p-58, -0x1.32fbf9af1369ep-54,
        0x1.2406ab9eeab0ap-55, -0x1.19041b9d78a76p-55, -0x1.11023d1970f6cp-54,
        0x1.e5b4c7b4968e4p-55, -0x1.95386352ef607p-54, 0x1.e016e00a2643cp-54,
        -0x1.1df98027bb78cp-54, 0x1.dc775814a8495p-55, 0x1.2a97e9494a5eep-55,
        0x1.9b07eb6c70573p-54, 0x1.ac155bef4f4a4p-55, 0x1.2bd339940e9d9p-55,
        -0x1.a4c3a8c3f0d7ep-54, 0x1.612e8afad1255p-55, -0x1.10adcd6381aa4p-59,
        0x1.0024754db41d5p-54, 0x1.1ca0f45d52383p-56, 0x1.6f46ad23182e4p-55,
        0x1.a9ce78e18047cp-55, 0x1.32721843659a6p-54, -0x1.b5cee5c4e4628p-55,
        -0x1.63aeabf42eae2p-54, -0x1.e958d3c9904bdp-54, -0x1.5e436d661f5e3p-56,
        -0x1.efff8375d29c3p-54, 0x1.ada0911f09ebcp-55, -0x1.7d023f956f9f3p-54,
        -0x1.ef3691c309278p-58, -0x1.1c7dde35f7999p-55, 0x1.89b7a04ef80d0p-59,
        0x1.c944bd1648a76p-54, 0x1.3c1a3b69062f0p-56, 0x1.9cb62f3d1be56p-54,
        0x1.d4397afec42e2p-56, 0x1.8ecdbbc6a7833p-54, -0x1.4b309d25957e3p-54,
        -0x1.f768569bd93efp-55, -0x1.07abe1db13cadp-55, -0x1.d689cefede59bp-55,
        0x1.9bb2c011d93adp-54, 0x1.295e15b9a1de8p-55, 0x1.6324c054647adp-54,
        0x1.c4b1b816986a2p-60, 0x1.ba6f93080e65ep-54, -0x1.3e2429b56de47p-54,
        -0x1.383c17e40b497p-54, -0x1.c483c759d8933p-55, -0x1.bb60987591c34p-54,
        0x1.038ae44f73e65p-57, -0x1.bdd3413b26456p-54, -0x1.2895667ff0b0dp-56,
        -0x1.bbe3a683c88abp-57, -0x1.83c0f25860ef6p-55, -0x1.16e4786887a99p-55,
        -0x1.0a8d96c65d53cp-54, -0x1.0245957316dd3p-54, 0x1.866b80a02162dp-54,
        -0x1.41577ee04992fp-55, 0x1.f124cd1164dd6p-54, 0x1.05d02ba15797ep-56,
        -0x1.27c86626d972bp-54, -0x1.d4c1dd41532d8p-54, -0x1.8d684a341cdfbp-55,
        -0x1.fc6f89bd4f6bap-54, 0x1.994c2f37cb53ap-54, 0x1.6e9f156864b27p-54,
        -0x1.0d55e32e9e3aap-56, 0x1.5cc13a2e3976cp-55, -0x1.dd6792e582524p-54,
        -0x1.75fc781b57ebcp-57, -0x1.64b7c96a5f039p-56, -0x1.d185b7c1b85d1p-54,
        -0x1.173bd91cee632p-54, 0x1.c7c46b071f2bep-56, 0x1.824ca78e64c6ep-56,
        -0x1.359495d1cd533p-54, 0x1.6305c7ddc36abp-54, -0x1.d2f6edb8d41e1p-54,
        0x1.bcb7ecac563c7p-54, 0x1.0fac90ef7fd31p-54, -0x1.f9234cae76cd0p-55,
        0x1.7a1cd345dcc81p-54, -0x1.bdef54c80e425p-54, -0x1.2805e3084d708p-57,
        -0x1.c71dfbbba6de3p-54, -0x1.5584f7e54ac3bp-56, -0x1.efcd30e54292ep-54,
        0x1.23dd07a2d9e84p-55, -0x1.efdca3f6b9c73p-54, 0x1.11065895048ddp-55,
        0x1.b4537e083c60ap-54, 0x1.2884dff483cadp-54, 0x1.1acbc48805c44p-56,
        0x1.503cbd1e949dbp-56, -0x1.dd83b53829d72p-55, -0x1.cbc3743797a9cp-54,
        -0x1.d487b719d8578p-54, 0x1.2ed02d75b3707p-55, -0x1.11ec18beddfe8p-54,
        0x1.c2300696db532p-54, 0x1.2da5778f018c3p-54, -0x1.1a5cd4f184b5cp-54,
        -0x1.7b627817a1496p-54, 0x1.39e8980a9cc8fp-55, 0x1.2d522ca0c8de2p-54,
        -0x1.e9c23179c2893p-54, -0x1.c93f3b411ad8cp-54, 0x1.dc7f486a4b6b0p-54,
        0x1.3a1a5bf0d8e43p-54, 0x1.9d3e12dd8a18bp-54, -0x1.dbb12d006350ap-54,
        0x1.74853f3a5931ep-55, 0x1.2eb74966579e7p-57,
    ]
    // c = 1 + j/128 for j = -38...54 (index j + 38): 1/c, and log(c) = logHi + logLo
    // with logHi a multiple of 2^-42 so that k*ln2Hi + logHi is exact.
    static let logInvC: [Double] = [
        0x1.6c16c16c16c17p0, 0x1.6816816816817p0, 0x1.642c8590b2164p0,
        0x1.6058160581606p0, 0x1.5c9882b931057p0, 0x1.58ed2308158edp0,
        0x1.5555555555555p0, 0x1.51d07eae2f815p0, 0x1.4e5e0a72f0539p0,
        0x1.4afd6a052bf5bp0, 0x1.47ae147ae147bp0, 0x1.446f86562d9fbp0,
        0x1.4141414141414p0, 0x1.3e22cbce4a902p0, 0x1.3b13b13b13b14p0,
        0x1.3813813813814p0, 0x1.3521cfb2b78c1p0, 0x1.323e34a2b10bfp0,
        0x1.2f684bda12f68p0, 0x1.2c9fb4d812ca0p0, 0x1.29e4129e4129ep0,
        0x1.27350b8812735p0, 0x1.2492492492492p0, 0x1.21fb78121fb78p0,
        0x1.1f7047dc11f70p0, 0x1.1cf06ada2811dp0, 0x1.1a7b9611a7b96p0,
        0x1.1811811811812p0, 0x1.15b1e5f75270dp0, 0x1.135c81135c811p0,
        0x1.1111111111111p0, 0x1.0ecf56be69c90p0, 0x1.0c9714fbcda3bp0,
        0x1.0a6810a6810a7p0, 0x1.0842108421084p0, 0x1.0624dd2f1a9fcp0,
        0x1.0410410410410p0, 0x1.0204081020408p0, 0x1.0000000000000p0,
        0x1.fc07f01fc07f0p-1, 0x1.f81f81f81f820p-1, 0x1.f44659e4a4271p-1,
        0x1.f07c1f07c1f08p-1, 0x1.ecc07b301ecc0p-1, 0x1.e9131abf0b767p-1,
        0x1.e573ac901e574p-1, 0x1.e1e1e1e1e1e1ep-1, 0x1.de5d6e3f8868ap-1,
        0x1.dae6076b981dbp-1, 0x1.d77b654b82c34p-1, 0x1.d41d41d41d41dp-1,
        0x1.d0cb58f6ec074p-1, 0x1.cd85689039b0bp-1, 0x1.ca4b3055ee191p-1,
        0x1.c71c71c71c71cp-1, 0x1.c3f8f01c3f8f0p-1, 0x1.c0e070381c0e0p-1,
        0x1.bdd2b899406f7p-1, 0x1.bacf914c1bad0p-1, 0x1.b7d6c3dda338bp-1,
        0x1.b4e81b4e81b4fp-1, 0x1.b2036406c80d9p-1, 0x1.af286bca1af28p-1,
        0x1.ac5701ac5701bp-1, 0x1.a98ef606a63bep-1, 0x1.a6d01a6d01a6dp-1,
        0x1.a41a41a41a41ap-1, 0x1.a16d3f97a4b02p-1, 0x1.9ec8e951033d9p-1,
        0x1.9c2d14ee4a102p-1, 0x1.999999999999ap-1, 0x1.970e4f80cb872p-1,
        0x1.948b0fcd6e9e0p-1, 0x1.920fb49d0e229p-1, 0x1.8f9c18f9c18fap-1,
        0x1.8d3018d3018d3p-1, 0x1.8acb90f6bf3aap-1, 0x1.886e5f0abb04ap-1,
        0x1.8618618618618p-1, 0x1.83c977ab2beddp-1, 0x1.8181818181818p-1,
        0x1.7f405fd017f40p-1, 0x1.7d05f417d05f4p-1, 0x1.7ad2208e0ecc3p-1,
        0x1.78a4c8178a4c8p-1, 0x1.767dce434a9b1p-1, 0x1.745d1745d1746p-1,
        0x1.724287f46debcp-1, 0x1.702e05c0b8170p-1, 0x1.6e1f76b4337c7p-1,
        0x1.6c16c16c16c17p-1, 0x1.6a13cd1537290p-1, 0x1.6816816816817p-1,
    ]
    static let logHi: [Double] = [
        -0x1.68ac83e9c7000p-2, -0x1.5d5bddf596000p-2, -0x1.522ae0738a000p-2,
        -0x1.4718dc271c000p-2, -0x1.3c25277333000p-2, -0x1.314f1e1d36000p-2,
        -0x1.269621134e000p-2, -0x1.1bf99635a7000p-2, -0x1.1178e8227e000p-2,
        -0x1.07138604d6000p-2, -0x1.f991c6cb3c000p-3, -0x1.e530effe72000p-3,
        -0x1.d1037f2656000p-3, -0x1.bd087383be000p-3, -0x1.a93ed3c8ae000p-3,
        -0x1.95a5adcf70000p-3, -0x1.823c16551a000p-3, -0x1.6f0128b756000p-3,
        -0x1.5bf406b544000p-3, -0x1.4913d8333c000p-3, -0x1.365fcb015a000p-3,
        -0x1.23d712a49c000p-3, -0x1.1178e8227e000p-3, -0x1.fe89139dbc000p-4,
        -0x1.da72763844000p-4, -0x1.b6ac88dad4000p-4, -0x1.9335e5d594000p-4,
        -0x1.700d30aeac000p-4, -0x1.4d3115d208000p-4, -0x1.2aa04a4470000p-4,
        -0x1.08598b59e4000p-4, -0x1.ccb73cddd8000p-5, -0x1.894aa149f8000p-5,
        -0x1.466aed42e0000p-5, -0x1.0415d89e78000p-5, -0x1.8492528c90000p-6,
        -0x1.0205658930000p-6, -0x1.0101575880000p-7, 0.0,
        0x1.fe02a6b100000p-8, 0x1.fc0a8b0fc0000p-7, 0x1.7b91b07d60000p-6,
        0x1.f829b0e780000p-6, 0x1.39e87b9fe8000p-5, 0x1.77458f6330000p-5,
        0x1.b42dd71198000p-5, 0x1.f0a30c0118000p-5, 0x1.16536eea38000p-4,
        0x1.341d7961bc000p-4, 0x1.51b073f060000p-4, 0x1.6f0d28ae58000p-4,
        0x1.8c345d6318000p-4, 0x1.a926d3a4ac000p-4, 0x1.c5e548f5bc000p-4,
        0x1.e27076e2b0000p-4, 0x1.fec9131dc0000p-4, 0x1.0d77e7cd08000p-3,
        0x1.1b72ad52f6000p-3, 0x1.29552f8200000p-3, 0x1.371fc201e8000p-3,
        0x1.44d2b6ccb8000p-3, 0x1.526e5e3a1c000p-3, 0x1.5ff3070a7a000p-3,
        0x1.6d60fe719e000p-3, 0x1.7ab890210e000p-3, 0x1.87fa06520c000p-3,
        0x1.9525a9cf46000p-3, 0x1.a23bc1fe2c000p-3, 0x1.af3c94e80c000p-3,
        0x1.bc286742d8000p-3, 0x1.c8ff7c79aa000p-3, 0x1.d5c216b4fc000p-3,
        0x1.e27076e2b0000p-3, 0x1.ef0adcbdc6000p-3, 0x1.fb9186d5e4000p-3,
        0x1.0402594b4d000p-2, 0x1.0a324e2739000p-2, 0x1.1058bf9ae5000p-2,
        0x1.1675cababa000p-2, 0x1.1c898c169a000p-2, 0x1.22941fbcf8000p-2,
        0x1.2895a13de8000p-2, 0x1.2e8e2bae12000p-2, 0x1.347dd9a988000p-2,
        0x1.3a64c55694000p-2, 0x1.404308686a000p-2, 0x1.4618bc21c6000p-2,
        0x1.4be5f95778000p-2, 0x1.51aad872e0000p-2, 0x1.5767717456000p-2,
        0x1.5d1bdbf581000p-2, 0x1.62c82f2b9c000p-2, 0x1.686c81e9b1000p-2,
    ]
    static let logLo: [Double] = [
        0x1.7af966c548a30p-44, 0x1.a0b2a08a465dcp-47, -0x1.ebe708164c759p-45,
        -0x1.06c18fb4c14c5p-44, -0x1.83b54b606bd5cp-46, 0x1.8e27ad3213cb8p-45,
        0x1.1b61f10522625p-44, 0x1.1ac89575c2125p-44, -0x1.1ef78ce2d07f2p-44,
        0x1.e76324e912b17p-44, 0x1.90d04cd7cc834p-44, 0x1.fdbdbb13f7c18p-44,
        0x1.84a7e75b6f6e4p-47, 0x1.d4bc4595412b6p-45, 0x1.8724350562169p-45,
        -0x1.7f22858a0ff6fp-47, -0x1.e0ddb9a631e83p-46, -0x1.577390d31ef0fp-44,
        0x1.27023eb68981cp-46, 0x1.53e43558124c4p-44, 0x1.fd3a0afb9691bp-44,
        -0x1.00d238fd3df5cp-46, -0x1.1ef78ce2d07f2p-45, -0x1.56594d82f7a82p-44,
        -0x1.a89401fa71733p-46, -0x1.b1bdff50225c7p-44, -0x1.3115c3abd47dap-45,
        -0x1.c1e8da99ded32p-49, 0x1.53a2582f4e1efp-48, -0x1.7a48ba8b1cb41p-44,
        0x1.7e5dd7009902cp-46, -0x1.965c36e09f5fep-44, -0x1.9a19a8be97661p-44,
        0x1.c167375bdfd28p-45, 0x1.dddc7f461c516p-44, 0x1.aa0ba325a0c34p-45,
        -0x1.611d27c8e8417p-44, -0x1.bce251998b506p-44, 0.0,
        0x1.9e23f0dda40e4p-46, 0x1.f1e7cf6d3a69cp-50, -0x1.3b955b602ace4p-44,
        0x1.980267c7e09e4p-45, 0x1.eafd480ad9015p-44, -0x1.181dce586af09p-44,
        -0x1.c827ae5d6704cp-46, -0x1.d599e83368e91p-45, -0x1.47c5e768fa309p-46,
        0x1.1d09299837610p-44, 0x1.83f69278e686ap-44, -0x1.4b4641b664613p-44,
        0x1.b20f5acb42a66p-44, 0x1.563650bd22a9cp-44, 0x1.d0c57585fbe06p-46,
        -0x1.a342c2af0003cp-45, -0x1.54555d1ae6607p-44, 0x1.cb2cd2ee2f482p-44,
        0x1.e80a41811a396p-45, -0x1.5b967f4471dfcp-44, 0x1.ee8779b2d8abcp-44,
        -0x1.70cc16135783cp-46, -0x1.790ba37fc5238p-44, -0x1.8586f183bebf2p-44,
        -0x1.bc6e557134767p-44, -0x1.bdb9072534a58p-45, 0x1.22120401202fcp-44,
        -0x1.297137d9f158fp-44, -0x1.539cd91dc9f0bp-44, -0x1.a4e633fcd9066p-52,
        0x1.9ac53f39d121cp-44, -0x1.7794f689f8434p-45, -0x1.1ba91bbca681bp-45,
        -0x1.a342c2af0003cp-44, -0x1.b26b79c86af24p-45, -0x1.d572aab993c87p-47,
        0x1.036b89ef42d7fp-48, 0x1.c6bee7ef4030ep-47, -0x1.4ab9d817d52cdp-44,
        0x1.8380e731f55c4p-44, -0x1.81410e5c62affp-44, -0x1.a6976f5eb0963p-44,
        0x1.a8d7ad24c13f0p-44, -0x1.67b1e99b72bd8p-45, -0x1.5594dd4c58092p-45,
        0x1.7a71cbcd735d0p-44, 0x1.f8ef43049f7d3p-44, -0x1.3d82f484c84ccp-46,
        -0x1.d7c92cd9ad824p-44, -0x1.f4bd8db0a7cc1p-44, -0x1.64ead9524d7cap-44,
        -0x1.8d6bdc9c7c238p-44, 0x1.e54bdbd7c8a98p-44, 0x1.2bb110af84054p-44,
    ]
    // Bits of 2/pi after the binary point, 64 per word, most significant first.
    static let twoOverPiBits: [UInt64] = [
        0xA2F9836E4E441529, 0xFC2757D1F534DDC0, 0xDB6295993C439041,
        0xFE5163ABDEBBC561, 0xB7246E3A424DD2E0, 0x06492EEA09D1921C,
        0xFE1DEB1CB129A73E, 0xE88235F52EBB4484, 0xE99C7026B45F7E41,
        0x3991D639835339F4, 0x9C845F8BBDF9283B, 0x1FF897FFDE05980F,
        0xEF2F118B5A0A6D1F, 0x6D367ECF27CB09B7, 0x4F463F669E5FEA2D,
        0x7527BAC7EBE5F17B, 0x3D0739F78A5292EA, 0x6BFB5FB11F8D5D08,
        0x56033046FC7B6BAB, 0xF0CFBC209AF4361D, 0xA9E391615EE61B08,
        0x6599855F14A06840, 0x8DFFD8804D732731, 0x06061556CA73A8C9,
    ]
    // sin(x) = x + x^3 * S(x^2) (degree 6), cos(x) = 1 - x^2/2 + x^4 * C(x^2) (degree 5),
    // fitted on x^2 in [0, 1.01 (pi/4)^2].
    static let sin0: Double = -0x1.5555555555555p-3
    static let sin1: Double = 0x1.1111111111110p-7
    static let sin2: Double = -0x1.a01a01a0198dep-13
    static let sin3: Double = 0x1.71de3a5455b9ap-19
    static let sin4: Double = -0x1.ae64540000f84p-26
    static let sin5: Double = 0x1.6121703ee57b1p-33
    static let sin6: Double = -0x1.ab0f25d21fd92p-41
    static let cos0: Double = 0x1.5555555555555p-5
    static let cos1: Double = -0x1.6c16c16c16944p-10
    static let cos2: Double = 0x1.a01a019f4671dp-16
    static let cos3: Double = -0x1.27e4fa0d3726cp-22
    static let cos4: Double = 0x1.1eeb5de1e2b95p-29
    static let cos5: Double = -0x1.9075bb669682cp-37
    // erf(x) = x + x * R(x^2) on |x| < 0.5, R of degree 9 in x^2.
    static let erfR0: Double = 0x1.06eba8214db69p-3
    static let erfR1: Double = -0x1.812746b0379e6p-2
    static let erfR2: Double = 0x1.ce2f21a042b28p-4
    static let erfR3: Double = -0x1.b82ce3127f6d1p-6
    static let erfR4: Double = 0x1.565bcd0aa3ed8p-8
    static let erfR5: Double = -0x1.c02db23c5e7d3p-11
    static let erfR6: Double = 0x1.f9a2a62fe9253p-14
    static let erfR7: Double = -0x1.f4bb98aab31bep-17
    static let erfR8: Double = 0x1.b775c94200bfbp-20
    static let erfR9: Double = -0x1.39f7b53f1b575p-23
    // erfcx(z) = erfc(z) exp(z^2) on y = 2/(2+z) in [1/16, 13/16], 32 intervals of
    // width 3/128 (fitted 3% wider so index rounding at the edges is harmless); per
    // interval: a0 (as hi, lo), a1...a7 in t = y - midpoint; worst relative error 1.66e-17.
    static let erfcxCoeffs: [Double] = [
        0x1.723afa6ce743bp-6, -0x1.c3fe3f81bd176p-61, 0x1.503a7cdf7b2bep-2,
        0x1.5f749a96372a5p-2, 0x1.36f92a37aa433p-2, 0x1.a616e2970dcb0p-3,
        0x1.2f28dc484099bp-4, -0x1.574c00001eb33p-5, -0x1.616b4876127a0p-4,
        0x1.f3785914c1976p-6, -0x1.95dd0eb40a764p-61, 0x1.6139f4e119b17p-2,
        0x1.7606a316d69cep-2, 0x1.4b29bf1150e43p-2, 0x1.b7107b825fb00p-3,
        0x1.12d6d9aead03dp-4, -0x1.cfe3f9d233528p-5, -0x1.7c27b44b05beap-4,
        0x1.3da4b040c8489p-5, -0x1.1db47e267ee00p-59, 0x1.7350e5aeab174p-2,
        0x1.8e0aff15a888dp-2, 0x1.601b0f8542c8dp-2, 0x1.c62042e2a19b7p-3,
        0x1.db88907bc6f1cp-5, -0x1.27cd8f363b01cp-4, -0x1.8c5b25b799430p-4,
        0x1.850d1489f0b15p-5, 0x1.7f7860d161823p-59, 0x1.8690f90eb5e63p-2,
        0x1.a78e5a6c203a0p-2, 0x1.75b304f05210fp-2, 0x1.d2bfd3c321274p-3,
        0x1.7f25647e143cbp-5, -0x1.6943c3604e7aap-4, -0x1.8f4e1ca5bccecp-4,
        0x1.d02ec2f1e0a65p-5, 0x1.794d59ae2faffp-61, 0x1.9b0c64efa1975p-2,
        0x1.c29b52092eab7p-2, 0x1.8bd12374cab03p-2, 0x1.dc65772d7a825p-3,
        0x1.1063484152ffap-5, -0x1.a9f89d9d7265dp-4, -0x1.82dd5f583d217p-4,
        0x1.0fa34d15dad93p-4, 0x1.1a0d3ab3fada2p-58, 0x1.b0d5cffe689e5p-2,
        0x1.df3a00185a68fp-2, 0x1.a24e7f25dd245p-2, 0x1.e28919617ffe7p-3,
        0x1.1faca80222d4ap-6, -0x1.e747d9969533bp-4, -0x1.65c62a4f27a7cp-4,
        0x1.394a801b834f5p-4, -0x1.e59c6873454dep-59, 0x1.c80030d334e69p-2,
        0x1.fd6f89953b40dp-2, 0x1.b8fdf0874fd55p-2, 0x1.e4a9d5c79f857p-3,
        -0x1.29af9bcd0edc4p-13, -0x1.0f375f7b6d708p-3, -0x1.37df1784ada31p-4,
        0x1.652ef6ef5e9c5p-4, 0x1.3733b10a0f374p-63, 0x1.e09ea7e08eea9p-2,
        0x1.0e9ed8f99ef1bp-1, 0x1.cfac8d781d4f7p-2, 0x1.e253c205878b3p-3,
        -0x1.40fef22e6a380p-6, -0x1.265e7b596dd49p-3, -0x1.f46670620dfc4p-5,
        0x1.9374794f458d8p-4, 0x1.cd5f43fb5be7ap-62, 0x1.fac4548b30933p-2,
        0x1.1f513cdae7e9fp-1, 0x1.e6226721f1696p-2, 0x1.db25920d9935fp-3,
        -0x1.4b54896a63f1dp-5, -0x1.37e37a858611cp-3, -0x1.5df3b1dc96c22p-5,
        0x1.c440980a59df1p-4, 0x1.8fd925bbc0685p-58, 0x1.0b421305381c2p-1,
        0x1.30cbe659f6030p-1, 0x1.fc23889de3836p-2, 0x1.ced5abbc32be8p-3,
        -0x1.fe33327146965p-5, -0x1.42ca12a3c167ap-3, -0x1.65ae8de53b0dap-6,
        0x1.f7baa62488733p-4, -0x1.606ca12e9d8f5p-60, 0x1.19f85473bd3cap-1,
        0x1.4309a224605c2p-1, 0x1.08b8969b792acp-1, 0x1.bd36497061a52p-3,
        -0x1.5a9632085ab5ap-4, -0x1.4661d07b92b26p-3, 0x1.42261c1f9dc3ap-11,
        0x1.1705d68fb97d0p-3, -0x1.bc648d9a3f5b8p-58, 0x1.298de9101a40ep-1,
        0x1.56030074986ebp-1, 0x1.12e5908c499d3p-1, 0x1.a6385ec483fdep-3,
        -0x1.b60302140c758p-4, -0x1.4251d820a8c8fp-3, 0x1.820275e3c5581p-6,
        0x1.33af2e1ee1d97p-3, 0x1.41b082eae0d1cp-57, 0x1.3a0b648b1acbep-1,
        0x1.69ae4ec5d91ddp-1, 0x1.1c789e1e69a32p-1, 0x1.89ed0e1ce0b2fp-3,
        -0x1.079b72aa4142ep-3, -0x1.369d20d25cf26p-3, 0x1.785d80c993e56p-5,
        0x1.51ef79596ed0ap-3, 0x1.ca7a69719a6c3p-57, 0x1.4b78d8c427f84p-1,
        0x1.7dff9f0e3b6f6p-1, 0x1.255272ec5fa81p-1, 0x1.68859d270dbbep-3,
        -0x1.320b18694630fp-3, -0x1.239f45e615442p-3, 0x1.118505a04a9c1p-4,
        0x1.71dd926795818p-3, -0x1.fd26771f9961fp-59, 0x1.5dddbb6e24c86p-1,
        0x1.92e8dc7a8ea61p-1, 0x1.2d554735c1f1ep-1, 0x1.4251f56a9d2e8p-3,
        -0x1.59553625a7166p-3, -0x1.0a02e3ab36176p-3, 0x1.5d10a81e10f86p-4,
        0x1.9390fe2bc93b2p-3, -0x1.6f30f1b36630ap-57, 0x1.7140ccfb4b338p-1,
        0x1.a859ed0b9d349p-1, 0x1.346587ecf6d52p-1, 0x1.17bdd914a6cc7p-3,
        -0x1.7c9b4d20d6a7ap-3, -0x1.d566239deb8fep-4, 0x1.9c26466462e19p-4,
        0x1.b721da29be202p-3, 0x1.3f32ce36fa9e1p-62, 0x1.85a80164154cfp-1,
        0x1.be40dee94a077p-1, 0x1.3a6a72b2303c2p-1, 0x1.d29a1157751fdp-4,
        -0x1.9b23787c3882ep-3, -0x1.8d93b191bcd60p-4, 0x1.ccfb059d1b922p-4,
        0x1.dca8c85b8a720p-3, 0x1.b08e08f577c8dp-57, 0x1.9b186b4c6aeb2p-1,
        0x1.d48a1fce06545p-1, 0x1.3f4e9838f5c7dp-1, 0x1.6f2d462c8fa91p-4,
        -0x1.b45db79ace844p-3, -0x1.3efb048435713p-4, 0x1.eea7c824ae843p-4,
        0x1.021f6c998857ep-2, 0x1.d790afafdfc35p-57, 0x1.b19629f4d689dp-1,
        0x1.eb20bc99e68f4p-1, 0x1.43004160838ccp-1, 0x1.06801c867ba3fp-4,
        -0x1.c7e69c1491e82p-3, -0x1.d839b559aa049p-5, 0x1.008d10ef3122cp-3,
        0x1.16feba0782468p-2, 0x1.b5341569be967p-57, 0x1.c9245a4cebfadp-1,
        0x1.00f75375172fcp0, 0x1.4571b51a199dbp-1, 0x1.33ded2d537592p-5,
        -0x1.d587868e74e5cp-3, -0x1.2edad03e5a9eap-5, 0x1.027bf661b4509p-3,
        0x1.2cff1f38d00adp-2, -0x1.7712eb0776dc4p-56, 0x1.e1c50b61d812ap-1,
        0x1.0c6e7f3fdb37dp0, 0x1.46995eed8fb3bp-1, 0x1.56fdca8352a3fp-7,
        -0x1.dd34c538a10d9p-3, -0x1.0ce423320970cp-6, 0x1.fb7aabcadda0dp-4,
        0x1.442d8125b402cp-2, 0x1.dede69997145bp-56, 0x1.fb793649b0cf5p-1,
        0x1.17ea2e247adfbp0, 0x1.4671d7686beb3p-1, -0x1.15316de67578bp-6,
        -0x1.df09feff1cf76p-3, 0x1.ce169ce8e46f9p-9, 0x1.e647834575becp-4,
        0x1.5c96c9d71cdd7p-2, -0x1.723573f98d98fp-57, 0x1.0b205cc9686a9p0,
        0x1.235e8e8384c65p0, 0x1.44f9d0f535cb0p-1, -0x1.6a79bbe924e0dp-5,
        -0x1.db4560c097c8bp-3, 0x1.6f2dce4134a70p-6, 0x1.c747b71997708p-4,
        0x1.7647db1e38434p-2, -0x1.f3e3ecef2fd8ep-56, 0x1.190d2c13a864cp0,
        0x1.2ebfd4dd237f6p0, 0x1.4233ec786868ap-1, -0x1.23abea53fb0a1p-4,
        -0x1.d242008fc3f87p-3, 0x1.46cc5d7c935a2p-5, 0x1.a08496631b6f6p-4,
        0x1.914d8152bb6b6p-2, -0x1.92dc3b5320d08p-57, 0x1.2781ddc024eacp0,
        0x1.3a025e2275f62p0, 0x1.3e26799efda78p-1, -0x1.8f6bc3f94eca3p-4,
        -0x1.c471e120f95ffp-3, 0x1.c84bc41242625p-5, 0x1.7408b0b5be7d2p-4,
        0x1.adb4663e6dbf4p-2, 0x1.820755dc4fdfbp-60, 0x1.367cbc79b7982p0,
        0x1.451acf7df53cap0, 0x1.38db270ed6938p-1, -0x1.f76b800a8f6d9p-4,
        -0x1.b257f01ded18fp-3, 0x1.1d43a3ad9e8afp-4, 0x1.43c7437fa0bc8p-4,
        0x1.cb890459ab2e5p-2, 0x1.2f764e38545c0p-57, 0x1.45fb8cebf9b98p0,
        0x1.4ffe3314d824ep0, 0x1.325ea6adedacap-1, -0x1.2d5d2727f74ffp-3,
        -0x1.9c8247e681e3ep-3, 0x1.4e473e052347ap-4, 0x1.118a0edbc06b0p-4,
        0x1.ead79a792f6ffp-2, 0x1.437be8cde5b4cp-56, 0x1.55fb931acf306p0,
        0x1.5aa21168923dbp0, 0x1.2ac04a06f252bp-1, -0x1.5c44bb67669cfp-3,
        -0x1.8384ea7b6e41bp-3, 0x1.76ff4eca1d7cbp-4, 0x1.bdca6bde68f3fp-5,
        0x1.05d61004d96adp-1, -0x1.8aaccaae3695ep-55, 0x1.667998d525544p0,
        0x1.64fc8722644adp0, 0x1.22119a7dc672bp-1, -0x1.881696899d386p-3,
        -0x1.67f5198970978p-3, 0x1.9777dc0a6f92fp-4, 0x1.5a60ea1e02b69p-5,
        0x1.17091cf8edcaap-1, 0x1.50d2ad98534ffp-57, 0x1.7771f51739684p0,
        0x1.6f0457325c41bp0, 0x1.1865f098c8d22p-1, -0x1.b08e3051b56bcp-3,
        -0x1.4a655fd51022fp-3, 0x1.aff02c6b2e217p-4, 0x1.f613208624abap-6,
        0x1.290a98177370dp-1, 0x1.36e1b8ef6c976p-56, 0x1.88e0943052a41p0,
        0x1.78b0f946685f4p0, 0x1.0dd20d27e2fbap-1, -0x1.d577daa078519p-3,
        -0x1.2b62532eb7f87p-3, 0x1.c0d0891dc3b22p-4, 0x1.42f632cbc0505p-6,
        0x1.3bdff21e292e4p-1, 0x1.15cde6305763bp-56, 0x1.9ac10080a0cf4p0,
        0x1.81faa4b4ed593p0, 0x1.026bb6912c46cp-1, -0x1.f6afe70302b95p-3,
        -0x1.0b700bcbaddf1p-3, 0x1.caa06838806ffp-4, 0x1.3be19d130cbcdp-7,
    ]
    // 7-point Gauss-Legendre rule on [-1, 1]
    static let glNodes: [Double] = [
        -0x1.e5f178e7c6229p-1, -0x1.7ba9f9be3a1d6p-1, -0x1.9f95df119fd62p-2,
        0.0, 0x1.9f95df119fd62p-2, 0x1.7ba9f9be3a1d6p-1,
        0x1.e5f178e7c6229p-1,
    ]
    static let glWeights: [Double] = [
        0x1.092f69f826d57p-3, 0x1.1e6b1713d8644p-2, 0x1.86fe74ee32b3dp-2,
        0x1.abfd7e03c2fa6p-2, 0x1.86fe74ee32b3dp-2, 0x1.1e6b1713d8644p-2,
        0x1.092f69f826d57p-3,
    ]
    // exp(r) on |r| <= 1.002 ln2/2, degree 8, relative error 1.08e-12: used by the Float
    // fast paths, where these values are written inline so they stay @inlinable:
    // 0x1.0000000000000p0, 0x1.ffffffffd2d49p-1, 0x1.fffffffff6f84p-2, 0x1.555555a35c252p-3, 0x1.5555557488158p-5, 0x1.11107f851c116p-7, 0x1.6c164d06dc973p-10, 0x1.a1ac1a4428b89p-13, 0x1.a15b985e064c9p-16
}
