/// Known answers made with the real ssh-keygen (OpenSSH 9.2p1, Debian 12):
///
///     ssh-keygen -q -t ed25519 -N '' -C test@host -f k
///     ssh-keygen -lf k.pub
///     printf 'hello\n' > msg && ssh-keygen -Y sign -f k -n respaldo-manifest msg
///
/// It is a throwaway test key; nothing trusts it.
enum Vectors {
    static let privateKeyFile = """
        -----BEGIN OPENSSH PRIVATE KEY-----
        b3BlbnNzaC1rZXktdjEAAAAABG5vbmUAAAAEbm9uZQAAAAAAAAABAAAAMwAAAAtzc2gtZW
        QyNTUxOQAAACBJJ544usklyGbdLXadw3cyrjhWZce9+6B7WnG63/f77QAAAJAvzJt5L8yb
        eQAAAAtzc2gtZWQyNTUxOQAAACBJJ544usklyGbdLXadw3cyrjhWZce9+6B7WnG63/f77Q
        AAAEA+9tCI/G5KveUnLzJc/yOnSkMFtpfGDlPTZi1eHbGsOEknnji6ySXIZt0tdp3DdzKu
        OFZlx737oHtacbrf9/vtAAAACXRlc3RAaG9zdAECAwQ=
        -----END OPENSSH PRIVATE KEY-----

        """
    static let publicKeyLine = "ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIEknnji6ySXIZt0tdp3DdzKuOFZlx737oHtacbrf9/vt test@host"
    static let comment = "test@host"
    static let seedHex = "3ef6d088fc6e4abde5272f325cff23a74a4305b697c60e53d3662d5e1db1ac38"
    static let publicKeyHex = "49279e38bac925c866dd2d769dc37732ae385665c7bdfba07b5a71badff7fbed"
    static let fingerprint = "SHA256:Y6n67221xTGwSveNY7qbHroVJzgUjKczIy4SwL8TYsE"

    static let message = Array("hello\n".utf8)
    static let namespace = "respaldo-manifest"
    static let signature = """
        -----BEGIN SSH SIGNATURE-----
        U1NIU0lHAAAAAQAAADMAAAALc3NoLWVkMjU1MTkAAAAgSSeeOLrJJchm3S12ncN3Mq44Vm
        XHvfuge1pxut/3++0AAAARcmVzcGFsZG8tbWFuaWZlc3QAAAAAAAAABnNoYTUxMgAAAFMA
        AAALc3NoLWVkMjU1MTkAAABADZUNu5dSC87V3ygEEy6ertdnuM2CDFjUqgR2i3jN0ylKP2
        C1Kgg/peUXwGcWpUsu1GNVJxzRniAyLx9Ptn6MCw==
        -----END SSH SIGNATURE-----

        """
}
