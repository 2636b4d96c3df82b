// vcsim for Latchkey's vSphere tests: govmomi's simulator (simulator.VPX(): one datacenter,
// a cluster, hosts, VMs) with its /rest endpoints, over TLS on 127.0.0.1 and a free port.
// The certificate is made fresh each run: self-signed, ECDSA P-256, for 127.0.0.1, like a
// vCenter's own (Go's built-in test certificate has a 1,024-bit RSA key, which rustls, like
// any current TLS stack, refuses). It prints the server's https://127.0.0.1:PORT origin on
// one line, then serves until stdin closes (so it dies with the test that runs it).
package main

import (
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/tls"
	"crypto/x509"
	"crypto/x509/pkix"
	"fmt"
	"io"
	"log"
	"math/big"
	"net"
	"net/url"
	"os"
	"time"

	"github.com/vmware/govmomi/simulator"
	_ "github.com/vmware/govmomi/vapi/simulator" // registers /rest (the vAPI endpoints)
)

func selfSigned() tls.Certificate {
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		log.Fatalf("vcsim: key: %v", err)
	}
	serial, _ := rand.Int(rand.Reader, big.NewInt(1<<62))
	template := x509.Certificate{
		SerialNumber:          serial,
		Subject:               pkix.Name{CommonName: "vcsim.latchkey.test"},
		NotBefore:             time.Now().Add(-time.Hour),
		NotAfter:              time.Now().Add(24 * time.Hour),
		KeyUsage:              x509.KeyUsageDigitalSignature,
		ExtKeyUsage:           []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth},
		BasicConstraintsValid: true,
		IPAddresses:           []net.IP{net.ParseIP("127.0.0.1")},
		DNSNames:              []string{"localhost"},
	}
	der, err := x509.CreateCertificate(rand.Reader, &template, &template, &key.PublicKey, key)
	if err != nil {
		log.Fatalf("vcsim: certificate: %v", err)
	}
	return tls.Certificate{Certificate: [][]byte{der}, PrivateKey: key}
}

func main() {
	model := simulator.VPX()
	defer model.Remove()
	if err := model.Create(); err != nil {
		log.Fatalf("vcsim: cannot create the inventory: %v", err)
	}
	model.Service.TLS = &tls.Config{Certificates: []tls.Certificate{selfSigned()}}
	model.Service.RegisterEndpoints = true
	model.Service.Listen = &url.URL{Host: "127.0.0.1:0"}
	server := model.Service.NewServer()
	defer server.Close()

	origin := url.URL{Scheme: server.URL.Scheme, Host: server.URL.Host}
	fmt.Println(origin.String())
	_, _ = io.Copy(io.Discard, os.Stdin)
}
